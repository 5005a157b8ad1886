"""Interpolation service: computes the frames between keyframes of sequence tracks."""
