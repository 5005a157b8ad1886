"""The labeling service: labels with revisions, track ids and sequence holds."""
