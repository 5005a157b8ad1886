"""The fast protobuf wire codec's primitives, shared by every codec that reads or writes
protobuf bytes without the runtime's objects (the hot paths: the interpolation service's
frame states out and keyframes in, the release build's frames).

- `varint`: the one varint reader and writer: scalar (`encode`, `read`, `skip`) and
  vectorised with numpy (`lengths`, `read_many`, `read_packed`, `put_many`).
- `layout`: field numbers, wire types, tags and packed-ness taken from the generated
  descriptors (`field(pb.ObjectState, "coordinates", "double", packed=True).tag`), checked
  against the type the codec was written for. Codecs compute them once, at import, so a
  renamed or retyped field fails the import loudly, a renumbered one is followed, and the
  contract stays the source of truth on the fast paths too.

The codecs are tested equal to protobuf's own encoder and parser, every message they
touch, in tests/unit/shared/wire/.
"""

from shared.wire.layout import (
    I32,
    I64,
    LEN,
    VARINT,
    Field,
    LayoutError,
    field,
    key,
    short_tag,
    tag,
)
from shared.wire.varint import MAX_VARINT, Malformed

__all__ = ["I32", "I64", "LEN", "MAX_VARINT", "VARINT", "Field", "LayoutError", "Malformed",
           "field", "key", "short_tag", "tag"]
