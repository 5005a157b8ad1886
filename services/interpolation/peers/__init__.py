"""Typed clients of the other services, returning domain types."""
