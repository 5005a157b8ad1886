"""The transport: the gRPC servicer and the converters (protobuf in, protobuf out)."""
