"""The label document format (shared/labels/format.py) and its typed, read-only readers
(shared/labels/sequences.py): one home for what the labeling, interpolation and release
services all read."""
