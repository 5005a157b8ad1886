// Errors of Framewise calls: the canonical status code plus the google.rpc details the
// services attach (ErrorInfo with a machine-readable reason, BadRequest naming each bad
// field), decoded from the `grpc-status-details-bin` trailer.

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

// The few google.rpc messages the services send, as a protobufjs schema (field numbers as
// in google/rpc/status.proto and error_details.proto).
const schema: protobuf.INamespace = {
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: { Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            ErrorInfo: {
              fields: {
                reason: { type: 'string', id: 1 },
                domain: { type: 'string', id: 2 },
                metadata: { keyType: 'string', type: 'string', id: 3 } as protobuf.IMapField,
              },
            },
            BadRequest: {
              fields: { fieldViolations: { rule: 'repeated', type: 'FieldViolation', id: 1 } },
              nested: {
                FieldViolation: {
                  fields: { field: { type: 'string', id: 1 }, description: { type: 'string', id: 2 } },
                },
              },
            },
          },
        },
      },
    },
  },
};
const rpc = protobuf.Root.fromJSON(schema as protobuf.INamespace);
const Status = rpc.lookupType('google.rpc.Status');
const ErrorInfo = rpc.lookupType('google.rpc.ErrorInfo');
const BadRequest = rpc.lookupType('google.rpc.BadRequest');

export interface FieldViolation {
  field: string;
  description: string;
}

/** A failed call: `code` is the gRPC status; `reason` and `fieldViolations` come from the
 * google.rpc details when the service sent them. */
export class FramewiseError extends Error {
  readonly code: grpc.status;
  readonly codeName: string;
  readonly details: string;
  readonly reason: string | undefined;
  readonly domain: string | undefined;
  readonly errorMetadata: Record<string, string>;
  readonly fieldViolations: FieldViolation[];
  readonly method: string;

  constructor(method: string, error: grpc.ServiceError) {
    const codeName = grpc.status[error.code] ?? String(error.code);
    super(`${method}: ${codeName}: ${error.details}`);
    this.name = 'FramewiseError';
    this.method = method;
    this.code = error.code;
    this.codeName = codeName;
    this.details = error.details;
    this.fieldViolations = [];
    this.errorMetadata = {};
    let reason: string | undefined;
    let domain: string | undefined;
    const raw = error.metadata?.get('grpc-status-details-bin')?.[0];
    if (raw instanceof Buffer) {
      try {
        const status = Status.toObject(Status.decode(raw), { defaults: true }) as {
          details: { typeUrl: string; value: Uint8Array }[];
        };
        for (const detail of status.details) {
          const type = detail.typeUrl.slice(detail.typeUrl.lastIndexOf('/') + 1);
          if (type === 'google.rpc.ErrorInfo') {
            const info = ErrorInfo.toObject(ErrorInfo.decode(detail.value), { defaults: true });
            reason = info.reason as string;
            domain = info.domain as string;
            Object.assign(this.errorMetadata, info.metadata as Record<string, string>);
          } else if (type === 'google.rpc.BadRequest') {
            const bad = BadRequest.toObject(BadRequest.decode(detail.value), { defaults: true });
            this.fieldViolations.push(...(bad.fieldViolations as FieldViolation[]));
          }
        }
      } catch {
        // Undecodable details: the status code and message still tell what happened.
      }
    }
    this.reason = reason;
    this.domain = domain;
  }
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as grpc.ServiceError).code === 'number'
    && 'metadata' in error;
}
