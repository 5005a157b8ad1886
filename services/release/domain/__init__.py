"""The release service's domain: plain Python, no gRPC, no SQL."""
