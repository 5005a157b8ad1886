"""The labeling domain: plain Python, no gRPC, no SQL."""
