"""Tests of the keyframe interpolation engine."""
