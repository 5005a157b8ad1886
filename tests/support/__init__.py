"""Test support: databases, running services, error assertions."""
