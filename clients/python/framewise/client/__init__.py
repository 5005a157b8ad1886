"""Framewise Python SDK: `AsyncClient` (asyncio) and `Client` (the same, blocking) over
the four services, with Python types in and out and errors as named exceptions."""

from framewise.client.aio import AsyncClient, ItemStream
from framewise.client.config import ClientConfig, TlsConfig
from framewise.client.errors import (
    AlreadyExists,
    Conflict,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    FramewiseError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ReleaseFailed,
    Unauthenticated,
    Unavailable,
)
from framewise.client.sync import Client
from framewise.client.types import (
    AttributeDefinition,
    Category,
    Collaborator,
    Dataset,
    DatasetSettings,
    ExportedFile,
    Frame,
    FrameState,
    Keyframe,
    Label,
    LabelSet,
    NewSample,
    ObjectState,
    Release,
    Sample,
    TaskAttributes,
    Track,
)

__all__ = [
    "AlreadyExists", "AsyncClient", "AttributeDefinition", "Category", "Client",
    "ClientConfig", "Collaborator", "Conflict", "Dataset", "DatasetSettings",
    "DeadlineExceeded", "ExportedFile", "FailedPrecondition", "FieldViolation", "Frame",
    "FrameState", "FramewiseError", "InvalidArgument", "ItemStream", "Keyframe", "Label",
    "LabelSet", "NewSample", "NotFound", "ObjectState", "PermissionDenied", "Release",
    "ReleaseFailed", "Sample", "TaskAttributes", "TlsConfig", "Track", "Unauthenticated",
    "Unavailable",
]
