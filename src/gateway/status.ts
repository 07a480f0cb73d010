/**
 * Error answers shaped like the apiserver's: a `Status` object with code,
 * reason and a message saying why, always as application/json, so kubectl
 * and client-go print them the way they print the apiserver's own.
 */
import type { ServerResponse } from 'node:http';

/** The apiserver's HTTP Status reasons (metav1.StatusReason), not condition reasons. */
export type StatusReasonName =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'InternalError';

export interface StatusObject {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: StatusReasonName;
  readonly code: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason: string; readonly message: string; readonly field: string }[];
  };
}

export function statusOf(code: number, reason: StatusReasonName, message: string, details?: StatusObject['details']): StatusObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}

/** A refusal the gateway decides itself, before any upstream call. */
export class GatewayError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReasonName,
    message: string,
    readonly details?: StatusObject['details'],
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  get status(): StatusObject {
    return statusOf(this.code, this.reason, this.message, this.details);
  }
}

export const badRequest = (message: string): GatewayError => new GatewayError(400, 'BadRequest', message);
export const forbidden = (message: string): GatewayError => new GatewayError(403, 'Forbidden', message);
export const notFound = (message: string, details?: StatusObject['details']): GatewayError => new GatewayError(404, 'NotFound', message, details);

/** Writes a Status answer unless the headers already went out (then the connection is cut: the client sees a truncated answer, never a wrong one). */
export function sendStatus(res: ServerResponse, status: StatusObject): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(status);
  res.writeHead(status.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export function sendJson(res: ServerResponse, code: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}
