"""Domain errors of the interpolation engine (mapped to gRPC statuses by the servicer)."""

from __future__ import annotations


class InterpolationInputError(ValueError):
    """Bad interpolation input; `field` is the path of the offending value.

    Example field: ``"tracks[3].keyframes[2].frame"``.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
