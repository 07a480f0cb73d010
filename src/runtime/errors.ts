/** A Kubernetes `Status` object, as the apiserver returns it with an error. */
export interface Status {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** An error answer from the apiserver (non-2xx, or an ERROR watch event). */
export class ApiError extends Error {
  /** HTTP status code (404, 409, 410 …); same field name as client-node's ApiException. */
  readonly code: number;
  readonly reason: string | undefined;
  readonly body: Status | undefined;

  constructor(code: number, body: Status | undefined, context: string) {
    // "<method> <path> answered <code>": a path ending in a subresource such as /token must not read as "token: <value>"
    // to anyone (or any redactor) scanning logs for credentials.
    super(`${context} answered ${code}${body?.reason ? ` ${body.reason}` : ''}${body?.message ? `: ${body.message}` : ''}`);
    this.name = 'ApiError';
    this.code = code;
    this.reason = body?.reason;
    this.body = body;
  }
}

function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  // client-node's ApiException carries the Status as a JSON string body.
  if (typeof e.body === 'string') {
    try {
      const parsed = JSON.parse(e.body) as Status;
      if (typeof parsed.code === 'number') return parsed.code;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** 404: the object (or its API) does not exist. Works for ApiError and client-node's ApiException. */
export function isNotFound(err: unknown): boolean {
  return statusCodeOf(err) === 404;
}

/** 409 with a stale resourceVersion (or AlreadyExists, see isAlreadyExists). Retry from a fresh read. */
export function isConflict(err: unknown): boolean {
  return statusCodeOf(err) === 409;
}

/** 409 AlreadyExists on create. */
export function isAlreadyExists(err: unknown): boolean {
  return statusCodeOf(err) === 409 && (err as { reason?: unknown }).reason === 'AlreadyExists';
}

/** 410 Gone: a watch or continue token asked for history the apiserver no longer has. */
export function isGone(err: unknown): boolean {
  return statusCodeOf(err) === 410;
}

/** 403: RBAC denied the request. */
export function isForbidden(err: unknown): boolean {
  return statusCodeOf(err) === 403;
}

/** 422 / 400: the apiserver rejected the object itself (schema, CEL, admission). */
export function isInvalid(err: unknown): boolean {
  const code = statusCodeOf(err);
  return code === 422 || code === 400;
}
