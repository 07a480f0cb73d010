/**
 * The gateway's URL shape: `/clusters/<logical-cluster>/<apiserver path>`.
 * Parsing is strict because the logical cluster and the namespace in the path
 * decide what the caller may reach: every segment is decoded exactly once,
 * and `.`, `..`, empty segments and encoded slashes are refused outright
 * rather than normalized (a normalized `/clusters/a/../b` would be tenant b).
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PREFIX = 'clusters';

export type ParsedPath =
  | {
      readonly ok: true;
      readonly cluster: string;
      /** Decoded segments after the logical cluster's name. */
      readonly segments: readonly string[];
      /** The apiserver path to forward, as the client encoded it (`/` when nothing follows the prefix). */
      readonly rawRest: string;
    }
  | { readonly ok: false; readonly code: 400 | 404; readonly message: string };

export function parseGatewayPath(rawPath: string): ParsedPath {
  if (!rawPath.startsWith('/')) return { ok: false, code: 400, message: `path ${JSON.stringify(rawPath)} does not start with /` };
  const raw = rawPath.slice(1).split('/');
  const segments: string[] = [];
  for (const [i, segment] of raw.entries()) {
    if (segment === '') {
      // `/clusters/x` and `/clusters/x/` name the same root; an empty segment anywhere else is refused.
      if (i === raw.length - 1 && i >= 2) continue;
      return { ok: false, code: 400, message: 'the path has an empty segment (//); the gateway does not normalize paths' };
    }
    if (/%2f|%5c/i.test(segment)) return { ok: false, code: 400, message: 'the path has an encoded slash or backslash in a segment' };
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { ok: false, code: 400, message: `path segment ${JSON.stringify(segment)} is not valid percent-encoding` };
    }
    if (decoded === '.' || decoded === '..') return { ok: false, code: 400, message: 'the path has a . or .. segment; the gateway does not normalize paths' };
    if (decoded.includes('\\') || [...decoded].some((ch) => ch.charCodeAt(0) < 0x20))
      return { ok: false, code: 400, message: 'the path has a control character or backslash' };
    segments.push(decoded);
  }
  if (segments[0] !== PREFIX || segments.length < 2) {
    return {
      ok: false,
      code: 404,
      message: `the gateway serves logical clusters at /${PREFIX}/<logical-cluster>/...; ${JSON.stringify(rawPath)} is not such a path`,
    };
  }
  const cluster = segments[1]!;
  if (!DNS_LABEL.test(cluster) || cluster.length > 63) return { ok: false, code: 404, message: `logicalclusters "${cluster}" not found` };
  const rest = raw.slice(2).filter((s, i, all) => s !== '' || i < all.length - 1);
  return { ok: true, cluster, segments: segments.slice(2), rawRest: `/${rest.join('/')}` };
}
