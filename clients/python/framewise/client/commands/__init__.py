"""Subcommands of `framewise`: each module registers its parsers and handlers."""
