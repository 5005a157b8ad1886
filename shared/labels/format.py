"""The label JSON formats (`Label.attributes_json`), fixed: every service reads them
(the labeling service validates and stores them, the interpolation service interpolates
their keyframes, the release service writes them out), so they have one home here.

Limits (shared.limits) keep one save's validation bounded: annotations per frame, points
per annotation (MAX_VERTICES), URL and text lengths, violations reported.

Every violation of these shapes is INVALID_ARGUMENT naming the JSON path inside
`label.attributes_json`, e.g. `label.attributes_json.frames[12].annotations[3].points`.
Unknown keys are kept as they are, except where stated. `format_version`, when present,
must be the version shown for the label's kind. Annotation ids are integers within
+-(2**53 - 1) (MAX_ANNOTATION_ID), track ids integers from 1 to 2**31 - 1 (MAX_TRACK_ID).
Anywhere in the document, a string or key with an unpaired surrogate or NUL, and NaN or
Infinity, are refused (services/labeling/domain/documents.py: what is stored is served
back exactly). The labeling service's validation (services/labeling/domain/validation.py)
enforces these shapes on save; shared.labels.sequences reads stored sequence labels.

Image vector labels (task types `bboxes`, `vector`, `keypoints`)::

    {"format_version": "0.1",
     "annotations": [{"id": int, "category_id": int,
                      "type": "bbox" | "polygon" | "polyline" | "point" | "keypoints",
                      "points": [[x, y], ...],
                      "visibility": [int, ...],     # keypoints only, optional
                      "attributes": {...}}],
     "image_attributes": {...}}                    # optional

  A bbox has exactly 2 points `[[x0, y0], [x1, y1]]`, a point 1, a polygon at least 3,
  a polyline at least 2; keypoints have as many points as the category has
  `keypoint_names` (when it names them). The types allowed are those of the task type
  (`shared.task_types.spec(t).geometries`). Annotation ids are unique in a label.

Segmentation bitmap labels (`segmentation-bitmap`, `segmentation-bitmap-highres`)::

    {"format_version": "0.1",
     "segmentation_bitmap": {"url": str},           # required once there are annotations
     "annotations": [{"id": int >= 1, "category_id": int, "attributes": {...}}],
     "image_attributes": {...}}

Point-cloud labels::

    pointcloud-cuboid:
    {"format_version": "0.2",
     "annotations": [{"id", "category_id", "type": "cuboid",
                      "position": {"x", "y", "z"},
                      "dimensions": {"x", "y", "z"},     # each > 0
                      "yaw": float,                      # radians in [-pi, pi]
                      "rotation": {"qx", "qy", "qz", "qw"},  # optional, unit quaternion
                      "attributes": {...}}]}
    pointcloud-vector: annotations of type polygon / polyline / point with
                       "points": [[x, y, z], ...]
    pointcloud-segmentation:
    {"annotations": [{"id" >= 1, "category_id", "attributes"}],
     "point_annotations": [int, ...]}   # per point: 0 (none) or an annotation id

Sequence labels (every `*-sequence` task type)::

    {"format_version": "0.2",
     "frames": [{"timestamp": ...,                  # optional
                 "annotations": [<as above> + "track_id": int >= 1, "is_keyframe": bool],
                 "image_attributes": {...}}]}        # optional

  Frame i is the sample's frame i; there are at most as many frames as the sample has.
  Vector and cuboid sequences store keyframes only: annotations whose `is_keyframe` is
  not true are dropped on save (tools that write every frame are accepted; the frames
  between keyframes are computed by interpolation), and the stored label has exactly
  one frame entry per sample frame. A remove-keyframe (the object is absent from this
  frame up to its next keyframe) is written

    {"track_id": N, "category_id": C, "type": <the track's type>,
     "is_keyframe": true, "removed": true}

  with no geometry and no attributes. A track keeps its category and type on every
  keyframe; track ids are unique within a frame; track-level attributes have one
  value per track. Segmentation sequences are frames of segmentation labels (bitmap,
  or point annotations), kept whole; their annotations may carry a `track_id`.

Multi-sensor labels (`multisensor-sequence`)::

    {"sensors": [{"name": str, "task_type": str,
                  "attributes": <a sequence label of that sensor's task type>}]}

  Sensor names and task types are those of the sample's sensors; a label may hold a
  subset of them.

Attributes: an annotation's `attributes` are checked against its category's attribute
definitions, `image_attributes` against the dataset's sample attributes: select values,
multiselect lists, number min/max, checkbox booleans, text, vector3 / quaternion lists
of 3 / 4 numbers. Unknown names are rejected. Mandatory attributes must be present on
every annotation that carries geometry (state keyframes in sequences) and, for
single-frame labels, in `image_attributes`.
"""

from __future__ import annotations

# The one format version of each kind of label; a label may leave it out, any other
# value is refused (a document of a format this service does not know goes unchecked).
IMAGE_FORMAT_VERSION = "0.1"
SEQUENCE_FORMAT_VERSION = "0.2"
CUBOID_FORMAT_VERSION = "0.2"

# Annotation ids (and the per-point ids that refer to them) lie within +-(2**53 - 1):
# the integers every JSON reader holds exactly (RFC 7493, I-JSON). A JavaScript
# labeling tool reads numbers as doubles, so a larger id would silently become another.
MAX_ANNOTATION_ID = 2**53 - 1
# Track ids are 32-bit: the interpolation service's Track.track_id and the stored
# max_track_id / track counters are int32, and AllocateTrackIds hands out ids above a
# label's largest one, up to this.
MAX_TRACK_ID = 2**31 - 1
# Keypoint visibility flags travel as int32 (interpolation Keyframe.visibility).
MAX_VISIBILITY = 2**31 - 1

# The geometries an annotation's `type` names: every one of them is interpolated in
# sequences (segmentation annotations have no `type`).
VECTOR_GEOMETRIES = ("bbox", "polygon", "polyline", "point", "keypoints")
CUBOID = "cuboid"
GEOMETRIES = frozenset({*VECTOR_GEOMETRIES, CUBOID})
# A keypoint whose visibility is not given is visible (the COCO convention's 2).
VISIBLE = 2
