// Label documents of sequence datasets, in the label JSON format the labeling service
// stores (DESIGN.md §1; shared/labels/format.py): keyframes only, each
// annotation with its track id; a remove-keyframe marks the object absent from that frame
// up to the next keyframe.

export type Point = [number, number];

export interface VectorAnnotation {
  id?: number;
  track_id: number;
  category_id: number;
  type: 'bbox' | 'polygon' | 'polyline' | 'point';
  points?: Point[];
  attributes?: Record<string, unknown>;
  is_keyframe: true;
  removed?: true;
}

export interface SequenceFrame {
  annotations: VectorAnnotation[];
  timestamp?: number;
}

export interface SequenceLabel {
  format_version: '0.2';
  frames: SequenceFrame[];
}

/** An empty sequence label of `frameCount` frames. */
export function sequenceLabel(frameCount: number): SequenceLabel {
  return { format_version: '0.2', frames: Array.from({ length: frameCount }, () => ({ annotations: [] })) };
}

/** A bbox keyframe: `[[x0, y0], [x1, y1]]`. */
export function bboxKeyframe(
  trackId: number, categoryId: number, x0: number, y0: number, x1: number, y1: number,
  attributes: Record<string, unknown> = {},
): VectorAnnotation {
  return {
    id: trackId, track_id: trackId, category_id: categoryId, type: 'bbox',
    points: [[x0, y0], [x1, y1]], attributes, is_keyframe: true,
  };
}

/** The object of `trackId` is absent from this frame up to its next keyframe. */
export function removeKeyframe(trackId: number, categoryId: number, type: VectorAnnotation['type'] = 'bbox'): VectorAnnotation {
  return { track_id: trackId, category_id: categoryId, type, is_keyframe: true, removed: true };
}
