"""Field numbers, wire types and tags of the fast codecs, taken from the generated
descriptors: the contract (protos/) stays the source of truth on the fast paths.

    _OBJECTS = short_tag(pb.FrameState, "objects", "message")

A codec computes these once, at import (module constants: no descriptor lookup on a hot
path). `field` checks the field against what the codec was written for: a field renamed
or removed, or of another type (`double` becoming `float` changes every byte), or no
longer packed, raises LayoutError at import, loudly; a field renumbered is followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from shared.wire.varint import encode

# Wire types.
VARINT, I64, LEN, I32 = 0, 1, 2, 5

_TYPES = {  # proto type name -> (descriptor type, wire type of one value)
    "double": (FieldDescriptor.TYPE_DOUBLE, I64),
    "float": (FieldDescriptor.TYPE_FLOAT, I32),
    "int64": (FieldDescriptor.TYPE_INT64, VARINT),
    "uint64": (FieldDescriptor.TYPE_UINT64, VARINT),
    "int32": (FieldDescriptor.TYPE_INT32, VARINT),
    "fixed64": (FieldDescriptor.TYPE_FIXED64, I64),
    "fixed32": (FieldDescriptor.TYPE_FIXED32, I32),
    "bool": (FieldDescriptor.TYPE_BOOL, VARINT),
    "string": (FieldDescriptor.TYPE_STRING, LEN),
    "message": (FieldDescriptor.TYPE_MESSAGE, LEN),
    "bytes": (FieldDescriptor.TYPE_BYTES, LEN),
    "uint32": (FieldDescriptor.TYPE_UINT32, VARINT),
    "enum": (FieldDescriptor.TYPE_ENUM, VARINT),
    "sfixed32": (FieldDescriptor.TYPE_SFIXED32, I32),
    "sfixed64": (FieldDescriptor.TYPE_SFIXED64, I64),
    "sint32": (FieldDescriptor.TYPE_SINT32, VARINT),
    "sint64": (FieldDescriptor.TYPE_SINT64, VARINT),
}
_NAMES = {code: name for name, (code, _) in _TYPES.items()}


class LayoutError(LookupError):
    """The contract no longer has the field a fast codec was written for."""


@dataclass(frozen=True)
class Field:
    """One field of a message as it is on the wire.

    wire_type: as protobuf writes the field (LEN for a packed repeated one);
    element_wire_type: of one value (what an unpacked repeated field's values use).
    """

    message: str
    name: str
    number: int
    wire_type: int
    element_wire_type: int
    packed: bool

    @property
    def tag(self) -> int:
        """(number << 3) | wire type: the key as protobuf writes it, as a number."""
        return self.number << 3 | self.wire_type

    @property
    def key(self) -> bytes:
        """The key's bytes (a varint: one byte for field numbers below 16)."""
        return encode(self.tag)


def _descriptor(message: Any) -> Descriptor:
    """A generated message class, or its descriptor."""
    return message if isinstance(message, Descriptor) else message.DESCRIPTOR


def field(message: Any, name: str, type_name: str, *, packed: bool | None = None) -> Field:
    """Field `name` of `message` (a generated class or a Descriptor), checked: it exists,
    its proto type is `type_name` ("double", "int32", "message", ...) and, when `packed`
    is given, it is (or is not) a packed repeated field. Raises LayoutError otherwise."""
    descriptor = _descriptor(message)
    found = descriptor.fields_by_name.get(name)
    if found is None:
        raise LayoutError(f"{descriptor.full_name} has no field {name!r}: a fast wire codec "
                          "reads or writes it (shared/wire); change the codec with the contract")
    expected, element = _TYPES[type_name]
    if found.type != expected:
        raise LayoutError(f"{found.full_name} is {_NAMES.get(found.type, found.type)}, "
                          f"a fast wire codec expects {type_name}")
    is_packed = bool(found.is_packed)
    if packed is not None and is_packed != packed:
        raise LayoutError(f"{found.full_name} is {'' if is_packed else 'not '}packed, a fast "
                          f"wire codec expects it {'' if packed else 'not '}packed")
    return Field(descriptor.full_name, name, found.number, LEN if is_packed else element,
                 element, is_packed)


def tag(message: Any, name: str, type_name: str, *, packed: bool | None = None) -> int:
    """field(...).tag."""
    return field(message, name, type_name, packed=packed).tag


def short_tag(message: Any, name: str, type_name: str, *, packed: bool | None = None) -> int:
    """field(...).tag for a codec that writes the key as one byte: raises LayoutError
    unless it is one (field numbers 1 to 15)."""
    found = field(message, name, type_name, packed=packed)
    if found.tag >= 0x80:
        raise LayoutError(f"{found.message}.{name} = {found.number}: a fast wire codec writes "
                          "its key as one byte (field numbers 1 to 15)")
    return found.tag


def key(message: Any, name: str, type_name: str, *, packed: bool | None = None) -> bytes:
    """field(...).key."""
    return field(message, name, type_name, packed=packed).key
