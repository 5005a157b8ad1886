"""Every limit on what a client sends, with its value: the one source of truth.

Over a limit, a request is INVALID_ARGUMENT with a google.rpc BadRequest naming the field
and the limit ("at most 1024 characters"); a whole request over MAX_MESSAGE_BYTES is
RESOURCE_EXHAUSTED from gRPC itself. `shared.request_limits` applies the limits on proto
fields to every request before a servicer sees it; the limits inside JSON documents and
those that need the dataset are applied where the documents are checked. The README's
"Limits" table lists them all.
"""

from __future__ import annotations

# Whole messages
# A request (or response) larger than this is RESOURCE_EXHAUSTED; the default of
# FRAMEWISE_MAX_MESSAGE_BYTES: room for a batch of big samples or a long inline sequence.
# Every channel sets it as well, the clients' too: its value lives with the channel
# options, in the client distribution's framewise.connection.
from framewise.connection import MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES

# Strings, in characters
# Ids are UUIDs the services make (36 characters); etags are revision numbers.
MAX_ID_LENGTH = 128
# Dataset, label set and release names (the dataset name pattern allows 1 to 100).
MAX_NAME_LENGTH = 100
# Sample names are often file paths.
MAX_SAMPLE_NAME_LENGTH = 500
# Free text of datasets, label sets and releases.
MAX_DESCRIPTION_LENGTH = 10_000
# Idempotency keys, stored with what they created.
MAX_REQUEST_ID_LENGTH = 100
# User ids: collaborators, labelers, reviewers (a token's subject names them).
MAX_USER_LENGTH = 200
# Every other short text: category, attribute, keypoint and sensor names, select values,
# colors, filters, field-mask paths, frame names, format versions.
MAX_TEXT_LENGTH = 1024
# URLs of images, point clouds and bitmaps inside sample and label JSON.
MAX_URL_LENGTH = 4096
# A page token of ours holds a position and the listing's filters: far shorter than this.
MAX_PAGE_TOKEN_LENGTH = 65_536

# JSON documents (`*_json` fields, attribute default values)
# Parsed in memory at about 10x their size: one document stays within a few hundred MB.
MAX_JSON_BYTES = 32 * 1024 * 1024
# Nesting levels; every document format of the API needs fewer than 10.
MAX_JSON_DEPTH = 32
# Integers inside JSON documents, in magnitude: 64 bits, what typed readers (protobuf,
# Go, Java, PostgreSQL's bigint when a value is cast) hold; floats must be finite.
MAX_JSON_INTEGER = 2**63 - 1
# Object keys (attribute names, metadata keys).
MAX_JSON_KEY_LENGTH = 1024
# ListSamples' metadata filter: it travels in every page token of the listing.
MAX_FILTER_JSON_LENGTH = 4096

# Lists
# Items per page of every List (and StreamLabels) method.
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
# Samples per BatchCreateSamples call (one transaction).
MAX_BATCH_SAMPLES = 10_000
# Categories of a dataset.
MAX_CATEGORIES = 10_000
# Attribute definitions per category, and sample attributes of a dataset.
MAX_ATTRIBUTES = 1000
# Values of a select or multiselect attribute.
MAX_ATTRIBUTE_VALUES = 1000
# Keypoint names of a category.
MAX_KEYPOINT_NAMES = 1000
# Paths of an update mask (a resource has fewer than 10 updatable fields).
MAX_MASK_PATHS = 100
# Frames of a sequence sample (and so of its labels).
MAX_FRAMES = 100_000
# Sensors of a multi-sensor sample.
MAX_SENSORS = 64
# Annotations on one frame of a label (or on a single-frame label).
MAX_ANNOTATIONS_PER_FRAME = 10_000
# Vertices of a polygon or polyline, points of any annotation: pairing two polygons for
# interpolation costs vertices squared.
MAX_VERTICES = 10_000
# Per-point annotation ids of a point-cloud segmentation label.
MAX_POINT_ANNOTATIONS = 10_000_000
# Field violations reported in one error (a huge bad document costs bounded work).
MAX_VIOLATIONS = 100
# Track ids handed out by one AllocateTrackIds call.
MAX_TRACK_IDS = 1000

# Interpolation
# Tracks of one request (inline, or selected by track_ids).
MAX_TRACKS = 100_000
# Keyframes of one inline track (at most one per frame).
MAX_KEYFRAMES = 100_000
# Frames of an inline sequence (stored sequences have at most MAX_FRAMES).
MAX_INLINE_FRAMES = 10_000_000
# Frames per StreamFrameStates message a client may ask for.
MAX_FRAMES_PER_MESSAGE = 10_000
# Object states (frames x tracks) one StreamFrameStates call may send: a bigger sequence
# is streamed in ranges of frames (start_frame, end_frame).
MAX_STREAM_STATES = 1_000_000_000
# Bytes of one object's state on one frame (coordinates, visibility flags, attributes,
# track attributes), encoded: the interpolation encoder's length slots hold < 2 MiB.
MAX_OBJECT_STATE_BYTES = 1024 * 1024
# Bytes the object states of the frames of one message may take while they are encoded:
# frames x objects x the widest object (every state of a geometry is laid out as wide as
# its widest); as much as one message holds. Bounds a stream's memory however wide its
# objects are.
MAX_FRAME_ENCODING_BYTES = MAX_MESSAGE_BYTES

# Releases
# Bytes per DownloadRelease message a client may ask for.
MIN_CHUNK_BYTES = 1024
MAX_CHUNK_BYTES = 4 * 1024 * 1024

# Authentication
# A bearer token longer than this is not one of ours (UNAUTHENTICATED).
MAX_TOKEN_BYTES = 8192

# Open server streams (StreamFrameStates, StreamLabels, DownloadRelease, ...), counted by
# shared.stream_limits on each server process; past either limit a new stream is
# RESOURCE_EXHAUSTED with a RetryInfo of STREAM_RETRY_DELAY_S. Both can be set per server
# (FRAMEWISE_MAX_STREAMS, FRAMEWISE_MAX_STREAMS_PER_CALLER).
# Streams one caller (a token's subject) may have open at once on one server: a release
# build reads 2 interpolation streams at once, a labeling tool 1 or 2 per open sequence.
MAX_STREAMS_PER_CALLER = 8
# Streams open at once on one server, every caller together: an unread interpolation
# stream holds about 5 MB (MAX_STREAM_AHEAD_BYTES, a block, the message gRPC is sending),
# so 32 of them take about 160 MB of the service's 1 GiB.
MAX_STREAMS = 32
# What a refused stream is told to wait before it retries (google.rpc.RetryInfo).
STREAM_RETRY_DELAY_S = 1.0
# Bytes a stream computes ahead of what gRPC has taken to send (gRPC sends only as far as
# the client's flow-control window allows): an unread stream holds this and one more
# block (up to about 2 MiB, or one message of the frames_per_message the client asked
# for), whatever its frame count.
MAX_STREAM_AHEAD_BYTES = 1024 * 1024
