// End to end against a running suite (`make run`, or tests/e2e/test_typescript_client.py,
// which starts one on free ports and passes FRAMEWISE_<SERVICE>_ADDRESS):
// dataset -> sequence sample -> keyframes with a remove-keyframe -> interpolated frames
// streamed -> release built, downloaded and checked.
//
// FRAMEWISE_E2E_SKIP_RELEASE=1 leaves out the release steps (a suite without the release
// service).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';

import { bboxKeyframe, FramewiseClient, FramewiseError, type FrameState, removeKeyframe, sequenceLabel } from '../src/index';

const FRAMES = 10;
const skipRelease = process.env.FRAMEWISE_E2E_SKIP_RELEASE === '1';
const client = new FramewiseClient({ deadlineMs: 15_000 });
after(() => client.close());

// Shared by the steps, which run in order.
const state: { datasetId?: string; sampleId?: string; labelRevision?: string } = {};

test('creates an image-vector-sequence dataset and a sequence sample', async () => {
  const dataset = await client.createDataset({
    name: `node-e2e-${randomUUID().slice(0, 8)}`,
    taskType: 'TASK_TYPE_IMAGE_VECTOR_SEQUENCE',
    taskAttributes: {
      categories: [
        {
          id: 1, name: 'car', color: '#ff0000',
          attributes: [
            { name: 'color', inputType: 'ATTRIBUTE_INPUT_TYPE_SELECT', values: ['red', 'blue'], isTrackLevel: true },
            { name: 'occluded', inputType: 'ATTRIBUTE_INPUT_TYPE_CHECKBOX' },
          ],
        },
        { id: 2, name: 'person' },
      ],
    },
  }, randomUUID());
  assert.ok(dataset.id);
  assert.equal(dataset.taskType, 'TASK_TYPE_IMAGE_VECTOR_SEQUENCE');
  assert.deepEqual(dataset.taskAttributes?.categories.map((c) => c.name), ['car', 'person']);

  const frames = Array.from({ length: FRAMES }, (_, i) => ({
    name: `frame-${i}`, timestamp: 100 + i * 10, image: { url: `https://example.com/drive/${i}.jpg` },
  }));
  const sample = await client.createSample({
    datasetId: dataset.id, name: 'drive-1', attributesJson: JSON.stringify({ frames }),
  });
  assert.equal(sample.frameCount, FRAMES);
  assert.equal(sample.datasetId, dataset.id);
  state.datasetId = dataset.id;
  state.sampleId = sample.id;
});

test('a bad request names the bad field (google.rpc BadRequest)', async () => {
  await assert.rejects(
    client.createSample({ datasetId: state.datasetId, name: 'bad', attributesJson: JSON.stringify({ frames: [{}] }) }),
    (error: unknown) => {
      assert.ok(error instanceof FramewiseError);
      assert.equal(error.codeName, 'INVALID_ARGUMENT');
      assert.ok(error.fieldViolations.length > 0, 'BadRequest details');
      assert.ok(error.fieldViolations.some((v) => v.field.includes('frames[0]')), JSON.stringify(error.fieldViolations));
      return true;
    });
});

test('saves keyframes with a remove-keyframe; a stale etag is ABORTED', async () => {
  const label = sequenceLabel(FRAMES);
  label.frames[0].annotations.push(bboxKeyframe(1, 1, 0, 0, 10, 10, { color: 'red', occluded: false }));
  label.frames[4].annotations.push(bboxKeyframe(1, 1, 40, 0, 50, 10, { color: 'red', occluded: true }));
  label.frames[6].annotations.push(removeKeyframe(1, 1));
  label.frames[8].annotations.push(bboxKeyframe(1, 1, 80, 0, 90, 10, { color: 'red', occluded: false }));
  label.frames[2].annotations.push(bboxKeyframe(2, 2, 5, 5, 7, 9));
  const first = await client.saveLabel({
    sampleId: state.sampleId, attributesJson: JSON.stringify(label), status: 'LABEL_STATUS_LABELING_IN_PROGRESS',
  });
  assert.ok(first.etag);

  const saved = await client.saveLabel({
    sampleId: state.sampleId, attributesJson: JSON.stringify(label), status: 'LABEL_STATUS_LABELED', etag: first.etag,
  });
  assert.equal(saved.status, 'LABEL_STATUS_LABELED');
  assert.notEqual(saved.etag, first.etag);
  assert.ok(BigInt(saved.revision) > BigInt(first.revision));

  await assert.rejects(
    client.saveLabel({ sampleId: state.sampleId, attributesJson: JSON.stringify(label), etag: first.etag }),
    (error: unknown) => error instanceof FramewiseError && error.codeName === 'ABORTED'
      && error.reason === 'STALE_ETAG' && error.domain === 'framewise.dev');

  const read = await client.getLabel(state.sampleId!);
  assert.equal(read.etag, saved.etag);
  const stored = JSON.parse(read.attributesJson);
  assert.equal(stored.frames.length, FRAMES);
  state.labelRevision = saved.revision;
});

test('streams the interpolated frames of the stored label', async () => {
  const frames: FrameState[] = [];
  for await (const frame of client.streamFrameStates(
    { storedLabel: { sampleId: state.sampleId }, framesPerMessage: 3 },
    { requestId: `node-e2e-${randomUUID()}`, traceparent: `00-${randomUUID().replaceAll('-', '')}-00f067aa0ba902b7-01` },
  )) {
    frames.push(frame);
  }
  assert.deepEqual(frames.map((f) => f.frame), [...Array(FRAMES).keys()]);
  assert.deepEqual(frames.map((f) => f.timestamp), Array.from({ length: FRAMES }, (_, i) => 100 + i * 10));

  const car = (frame: number) => frames[frame].objects.find((o) => o.trackId === 1);
  // Keyframes 0 and 4: linear between; absent from the remove-keyframe at 6 up to the
  // keyframe at 8; then held to the end.
  for (let f = 0; f <= 5; f++) {
    const expected = f <= 4 ? [10 * f, 0, 10 * f + 10, 10] : [40, 0, 50, 10];
    assert.deepEqual(car(f)?.coordinates, expected, `frame ${f}`);
    assert.equal(car(f)?.isKeyframe, f === 0 || f === 4, `frame ${f}`);
    assert.equal(car(f)?.geometryType, 'GEOMETRY_TYPE_BBOX');
  }
  assert.equal(car(6), undefined);
  assert.equal(car(7), undefined);
  assert.deepEqual(car(8)?.coordinates, [80, 0, 90, 10]);
  assert.deepEqual(car(9)?.coordinates, [80, 0, 90, 10]);
  assert.equal(car(9)?.isKeyframe, false);
  // Attributes step; the track-level one is on every frame.
  assert.deepEqual(JSON.parse(car(3)!.attributesJson), { color: 'red', occluded: false });
  assert.deepEqual(JSON.parse(car(5)!.attributesJson), { color: 'red', occluded: true });
  // The person appears at its only keyframe (2) and is held.
  assert.equal(frames[1].objects.find((o) => o.trackId === 2), undefined);
  assert.deepEqual(frames[9].objects.find((o) => o.trackId === 2)?.coordinates, [5, 5, 7, 9]);

  // A frame range, one frame per message.
  const some: FrameState[] = [];
  for await (const frame of client.streamFrameStates(
    { storedLabel: { sampleId: state.sampleId }, startFrame: 2, endFrame: 5, framesPerMessage: 1, trackIds: [1] })) {
    some.push(frame);
  }
  assert.deepEqual(some.map((f) => f.frame), [2, 3, 4]);
  assert.deepEqual(some.map((f) => f.objects.map((o) => o.trackId)), [[1], [1], [1]]);
});

test('an unknown sample is NOT_FOUND from the stream', async () => {
  await assert.rejects(async () => {
    for await (const _ of client.streamFrameStates({ storedLabel: { sampleId: randomUUID() } })) { /* none */ }
  }, (error: unknown) => error instanceof FramewiseError && error.codeName === 'NOT_FOUND');
});

test('creates a release, waits for it, downloads it', { skip: skipRelease && 'FRAMEWISE_E2E_SKIP_RELEASE=1' }, async () => {
  const created = await client.createRelease({ datasetId: state.datasetId, name: 'v1', description: 'from Node' }, randomUUID());
  assert.ok(created.id);
  const release = await client.waitForRelease(created.id, { timeoutMs: 120_000 });
  assert.equal(release.status, 'RELEASE_STATUS_SUCCEEDED', release.failureReason);
  assert.equal(Number(release.sampleCount), 1);
  assert.ok(BigInt(release.labelRevision) >= BigInt(state.labelRevision!));

  const file = await client.downloadRelease(release.id);
  const document = JSON.parse(file.toString('utf8'));
  const dataset = document.dataset;
  assert.equal(dataset.task_type, 'image-vector-sequence');
  assert.ok(dataset.labelsets.some((s: { name: string } | string) => (typeof s === 'string' ? s : s.name) === 'ground-truth'));
  assert.equal(dataset.samples.length, 1);
  const [sample] = dataset.samples;
  assert.equal(sample.uuid, state.sampleId);
  assert.equal(sample.name, 'drive-1');
  const label = sample.labels['ground-truth'];
  assert.equal(label.label_status, 'LABELED');
  const written = label.attributes.frames;
  assert.equal(written.length, FRAMES); // every frame, keyframes and interpolated ones
  const car = (frame: number) => written[frame].annotations.find((a: { track_id: number }) => a.track_id === 1);
  assert.deepEqual(car(2).points, [[20, 0], [30, 10]]);
  assert.equal(car(2).is_keyframe, false);
  assert.equal(car(4).is_keyframe, true);
  assert.equal(car(6), undefined);
  assert.deepEqual(car(9).points, [[80, 0], [90, 10]]);
});
