"""Typed clients of the other services, returning domain types (domain.inputs).

Importing this package loads no gRPC: the build's formatting processes import
peers.convert.

Every call forwards the release creator's identity, so a release never shows what its
creator could not read, also in a build resumed after a restart. Streams have long
deadlines (a build may take minutes); unary calls the usual short one.
"""
