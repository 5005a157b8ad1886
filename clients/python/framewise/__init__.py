"""Framewise: the SDK and CLI (`framewise.client`), where the services are
(`framewise.connection`), and the protobuf/gRPC code of the contracts
(`framewise.<service>.v1`), generated from protos/ when this distribution is built."""
