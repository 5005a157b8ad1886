"""Framewise: the generated protobuf/gRPC code lives under this package (built by `make`)."""
