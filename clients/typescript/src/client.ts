// A typed Node.js client for the four Framewise services.
//
// Stubs are loaded from the .proto contracts at run time (@grpc/proto-loader, the same
// files the services are generated from); the TypeScript types in src/generated/ are
// generated from those same files by `npm run gen` (proto-loader-gen-types).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import type { ProtoGrpcType as DatasetProto } from './generated/dataset';
import type { Dataset, Dataset__Output } from './generated/framewise/dataset/v1/Dataset';
import type { DatasetServiceClient } from './generated/framewise/dataset/v1/DatasetService';
import type { Sample, Sample__Output } from './generated/framewise/dataset/v1/Sample';
import type { FrameState__Output } from './generated/framewise/interpolation/v1/FrameState';
import type { InterpolationServiceClient } from './generated/framewise/interpolation/v1/InterpolationService';
import type { StreamFrameStatesRequest } from './generated/framewise/interpolation/v1/StreamFrameStatesRequest';
import type { Label, Label__Output } from './generated/framewise/labeling/v1/Label';
import type { LabelingServiceClient } from './generated/framewise/labeling/v1/LabelingService';
import type { Release, Release__Output } from './generated/framewise/release/v1/Release';
import type { ReleaseServiceClient } from './generated/framewise/release/v1/ReleaseService';
import type { ProtoGrpcType as InterpolationProto } from './generated/interpolation';
import type { ProtoGrpcType as LabelingProto } from './generated/labeling';
import type { ProtoGrpcType as ReleaseProto } from './generated/release';
import { FramewiseError, isServiceError } from './errors';

export type ServiceName = 'dataset' | 'labeling' | 'interpolation' | 'release';

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  dataset: 50051,
  labeling: 50052,
  interpolation: 50053,
  release: 50054,
};

/** The service config every Framewise client should use: round_robin over every address
 * a `dns:///` name resolves to (a headless Kubernetes Service), and retries with backoff
 * for UNAVAILABLE (a replica going away). */
export const SERVICE_CONFIG = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [
    {
      name: [{}],
      retryPolicy: {
        maxAttempts: 4,
        initialBackoff: '0.1s',
        maxBackoff: '2s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
};

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.service_config': JSON.stringify(SERVICE_CONFIG),
  'grpc.enable_retries': 1,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
};

// Must match the flags of `npm run gen`, so the generated types describe what is loaded.
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** protos/ of this repository, or FRAMEWISE_PROTOS_DIR. */
export function protosDir(): string {
  const fromEnv = process.env.FRAMEWISE_PROTOS_DIR;
  if (fromEnv) return fromEnv;
  const dir = fileURLToPath(new URL('../../../protos', import.meta.url));
  if (!existsSync(dir)) throw new Error(`protos not found at ${dir}; set FRAMEWISE_PROTOS_DIR`);
  return dir;
}

/** Where a service is: FRAMEWISE_<SERVICE>_ADDRESS, else FRAMEWISE_HOST (127.0.0.1) and
 * FRAMEWISE_<SERVICE>_PORT or the default port. `dns:///name:port` on Kubernetes. */
export function defaultAddress(service: ServiceName): string {
  const prefix = `FRAMEWISE_${service.toUpperCase()}`;
  const address = process.env[`${prefix}_ADDRESS`];
  if (address) return address;
  const host = process.env.FRAMEWISE_HOST || '127.0.0.1';
  const port = process.env[`${prefix}_PORT`] || String(DEFAULT_PORTS[service]);
  return `${host}:${port}`;
}

/** TLS as the Python SDK reads it: FRAMEWISE_TLS_CA (PEM of the CA) or FRAMEWISE_TLS=true
 * (system roots) turn it on, FRAMEWISE_TLS_CERT and FRAMEWISE_TLS_KEY add a client
 * certificate (needed where the suite runs mutual TLS); none of them: plaintext. */
export function defaultCredentials(): grpc.ChannelCredentials {
  const read = (name: string) => (process.env[name] ? readFileSync(process.env[name] as string) : null);
  const [ca, cert, key] = ['FRAMEWISE_TLS_CA', 'FRAMEWISE_TLS_CERT', 'FRAMEWISE_TLS_KEY'].map(read);
  const on = ['1', 'true', 'yes', 'on'].includes((process.env.FRAMEWISE_TLS ?? '').toLowerCase());
  if (!(on || ca || cert || key)) return grpc.credentials.createInsecure();
  if (!cert !== !key) throw new Error('a client certificate needs both FRAMEWISE_TLS_CERT and FRAMEWISE_TLS_KEY');
  return grpc.credentials.createSsl(ca, key, cert);
}

/** FRAMEWISE_TLS_SERVER_NAME: the name the services' certificate is checked against when
 * the address does not carry it (e.g. through `kubectl port-forward`). */
function tlsChannelOptions(): grpc.ChannelOptions {
  const name = process.env.FRAMEWISE_TLS_SERVER_NAME;
  return name ? { 'grpc.ssl_target_name_override': name } : {};
}

export interface ClientOptions {
  /** Per service; default: defaultAddress(service). */
  addresses?: Partial<Record<ServiceName, string>>;
  /** Bearer token sent as `authorization` on every call (default: $FRAMEWISE_TOKEN). */
  token?: string;
  /** Deadline of each unary call, in milliseconds (default 30 s). */
  deadlineMs?: number;
  /** Deadline of each stream, in milliseconds (default 10 minutes). */
  streamDeadlineMs?: number;
  /** Default: defaultCredentials() (FRAMEWISE_TLS_*; plaintext when unset). */
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
}

export interface CallOptions {
  deadlineMs?: number;
  /** Sent as `x-request-id`: it shows in the services' logs and spans. */
  requestId?: string;
  /** W3C trace context of the caller's span (`traceparent`), to join its trace. */
  traceparent?: string;
}

export interface ReleaseWaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export type FrameState = FrameState__Output;

type Callback<T> = grpc.requestCallback<T>;

/** One client for the whole suite: a channel per service, typed calls, FramewiseError on
 * failure. Use the raw stubs (`client.dataset`, ...) for anything not wrapped here. */
export class FramewiseClient {
  readonly dataset: DatasetServiceClient;
  readonly labeling: LabelingServiceClient;
  readonly interpolation: InterpolationServiceClient;
  readonly release: ReleaseServiceClient;
  private readonly options: ClientOptions;

  constructor(options: ClientOptions = {}) {
    this.options = options;
    const dir = protosDir();
    const load = (file: string) =>
      grpc.loadPackageDefinition(protoLoader.loadSync(file, { ...LOADER_OPTIONS, includeDirs: [dir] }));
    const credentials = options.credentials ?? defaultCredentials();
    const channelOptions = { ...CHANNEL_OPTIONS, ...tlsChannelOptions(), ...options.channelOptions };
    const address = (service: ServiceName) => options.addresses?.[service] ?? defaultAddress(service);

    const datasetPkg = load('framewise/dataset/v1/dataset.proto') as unknown as DatasetProto;
    const labelingPkg = load('framewise/labeling/v1/labeling.proto') as unknown as LabelingProto;
    const interpolationPkg = load('framewise/interpolation/v1/interpolation.proto') as unknown as InterpolationProto;
    const releasePkg = load('framewise/release/v1/release.proto') as unknown as ReleaseProto;
    this.dataset = new datasetPkg.framewise.dataset.v1.DatasetService(address('dataset'), credentials, channelOptions);
    this.labeling = new labelingPkg.framewise.labeling.v1.LabelingService(address('labeling'), credentials, channelOptions);
    this.interpolation = new interpolationPkg.framewise.interpolation.v1.InterpolationService(
      address('interpolation'), credentials, channelOptions);
    this.release = new releasePkg.framewise.release.v1.ReleaseService(address('release'), credentials, channelOptions);
  }

  close(): void {
    for (const stub of [this.dataset, this.labeling, this.interpolation, this.release]) stub.close();
  }

  /** Metadata of a call: the token (it names the caller), the request id, the trace context. */
  metadata(call: CallOptions = {}): grpc.Metadata {
    const metadata = new grpc.Metadata();
    const token = this.options.token ?? process.env.FRAMEWISE_TOKEN;
    if (token) metadata.set('authorization', `Bearer ${token}`);
    if (call.requestId) metadata.set('x-request-id', call.requestId);
    if (call.traceparent) metadata.set('traceparent', call.traceparent);
    return metadata;
  }

  private unary<Res>(
    method: string,
    call: CallOptions | undefined,
    start: (metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<Res>) => grpc.ClientUnaryCall,
  ): Promise<Res> {
    const deadline = Date.now() + (call?.deadlineMs ?? this.options.deadlineMs ?? 30_000);
    return new Promise((resolve, reject) => {
      start(this.metadata(call), { deadline }, (error, response) => {
        if (error) reject(new FramewiseError(method, error));
        else if (response === undefined) reject(new Error(`${method}: no response`));
        else resolve(response);
      });
    });
  }

  private async *stream<Res>(method: string, stream: grpc.ClientReadableStream<Res>): AsyncGenerator<Res> {
    try {
      for await (const message of stream) yield message as Res;
    } catch (error) {
      throw isServiceError(error) ? new FramewiseError(method, error) : error;
    } finally {
      stream.cancel(); // a consumer that stops early ends the call on the server too
    }
  }

  private streamOptions(call?: CallOptions): grpc.CallOptions {
    return { deadline: Date.now() + (call?.deadlineMs ?? this.options.streamDeadlineMs ?? 600_000) };
  }

  // --- dataset -------------------------------------------------------------------------

  createDataset(dataset: Dataset, requestId = '', call?: CallOptions): Promise<Dataset__Output> {
    return this.unary<Dataset__Output>('CreateDataset', call, (md, o, cb) =>
      this.dataset.CreateDataset({ dataset, requestId }, md, o, cb));
  }

  getDataset(datasetId: string, call?: CallOptions): Promise<Dataset__Output> {
    return this.unary<Dataset__Output>('GetDataset', call, (md, o, cb) =>
      this.dataset.GetDataset({ datasetId }, md, o, cb));
  }

  createSample(sample: Sample, requestId = '', call?: CallOptions): Promise<Sample__Output> {
    return this.unary<Sample__Output>('CreateSample', call, (md, o, cb) =>
      this.dataset.CreateSample({ sample, requestId }, md, o, cb));
  }

  // --- labeling ------------------------------------------------------------------------

  getLabel(sampleId: string, labelSet = '', revision = 0, call?: CallOptions): Promise<Label__Output> {
    return this.unary<Label__Output>('GetLabel', call, (md, o, cb) =>
      this.labeling.GetLabel({ sampleId, labelSet, revision }, md, o, cb));
  }

  /** Saves a label. Pass the `etag` of the label you read to write only over it (a stale
   * one fails with ABORTED, reason STALE_ETAG); none overwrites. */
  saveLabel(label: Label, call?: CallOptions): Promise<Label__Output> {
    return this.unary<Label__Output>('SaveLabel', call, (md, o, cb) =>
      this.labeling.SaveLabel({ label }, md, o, cb));
  }

  // --- interpolation -------------------------------------------------------------------

  /** Every frame's state, in order, as the server streams them (several per message). */
  async *streamFrameStates(request: StreamFrameStatesRequest, call?: CallOptions): AsyncGenerator<FrameState> {
    const stream = this.interpolation.StreamFrameStates(request, this.metadata(call), this.streamOptions(call));
    for await (const message of this.stream('StreamFrameStates', stream)) {
      yield* message.frames;
    }
  }

  // --- release -------------------------------------------------------------------------

  createRelease(release: Release, requestId = '', call?: CallOptions): Promise<Release__Output> {
    return this.unary<Release__Output>('CreateRelease', call, (md, o, cb) =>
      this.release.CreateRelease({ release, requestId }, md, o, cb));
  }

  getRelease(releaseId: string, call?: CallOptions): Promise<Release__Output> {
    return this.unary<Release__Output>('GetRelease', call, (md, o, cb) =>
      this.release.GetRelease({ releaseId }, md, o, cb));
  }

  /** Polls until the release is built (SUCCEEDED or FAILED). */
  async waitForRelease(releaseId: string, wait: ReleaseWaitOptions = {}): Promise<Release__Output> {
    const deadline = Date.now() + (wait.timeoutMs ?? 120_000);
    for (;;) {
      const release = await this.getRelease(releaseId);
      if (release.status !== 'RELEASE_STATUS_PENDING') return release;
      if (Date.now() > deadline) throw new Error(`release ${releaseId} still PENDING`);
      await new Promise((resolve) => setTimeout(resolve, wait.intervalMs ?? 200));
    }
  }

  /** The release file, whole; checked against the release's size and SHA-256. */
  async downloadRelease(releaseId: string, call?: CallOptions): Promise<Buffer> {
    const release = await this.getRelease(releaseId, call);
    const chunks: Buffer[] = [];
    let offset = 0;
    const stream = this.release.DownloadRelease({ releaseId, offset: 0 }, this.metadata(call), this.streamOptions(call));
    for await (const chunk of this.stream('DownloadRelease', stream)) {
      if (Number(chunk.offset) !== offset) throw new Error(`DownloadRelease: chunk at ${chunk.offset}, expected ${offset}`);
      chunks.push(chunk.data);
      offset += chunk.data.length;
    }
    const file = Buffer.concat(chunks);
    if (release.fileSizeBytes && Number(release.fileSizeBytes) !== file.length) {
      throw new Error(`DownloadRelease: ${file.length} bytes, the release has ${release.fileSizeBytes}`);
    }
    const sha256 = createHash('sha256').update(file).digest('hex');
    if (release.contentSha256 && release.contentSha256 !== sha256) {
      throw new Error('DownloadRelease: the SHA-256 of the file does not match the release');
    }
    return file;
  }
}
