"""The transport: the gRPC servicer, the converters and the wire codec of the hot path
(protobuf in, protobuf out; the codec's varints and field keys from shared/wire)."""
