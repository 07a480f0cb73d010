/**
 * The plugin's errors as kubectl prints them: one line, no stack, no
 * credential. Exit codes follow kubectl: 1 for every failure (not found,
 * refused, unreachable, bad input).
 */

/** A failure the user can act on; its message is printed as it is. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Codes Node gives a request that never reached an apiserver. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

interface ErrorShape {
  readonly message?: string;
  readonly code?: unknown;
  readonly reason?: unknown;
  readonly body?: { readonly message?: string; readonly reason?: string } | undefined;
}

/**
 * The line printed for any error: the apiserver's own words for an API
 * error (kubectl's "Error from server (Reason): message"), a hint for an
 * apiserver that cannot be reached, the message otherwise.
 */
export function describeError(err: unknown, server?: string): string {
  if (err instanceof CliError) return err.message;
  const e = (err ?? {}) as ErrorShape;
  if (typeof e.code === 'number' && e.body?.message) return `Error from server (${e.body.reason ?? e.code}): ${e.body.message}`;
  if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) {
    return `cannot reach the apiserver${server ? ` at ${server}` : ''} (${e.code}): is the cluster running, and are the kubeconfig and context right?`;
  }
  return e.message ?? String(err);
}

/** 404 from the apiserver. */
export function isNotFoundError(err: unknown): boolean {
  return (err as ErrorShape | undefined)?.code === 404;
}

/** 403 from the apiserver. */
export function isForbiddenError(err: unknown): boolean {
  return (err as ErrorShape | undefined)?.code === 403;
}
