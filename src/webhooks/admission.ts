/**
 * The AdmissionReview v1 wire format (admission.k8s.io/v1): parsing what the
 * apiserver sends and building what it expects back.
 */
import type { Operation, Requester } from '../admission/request.js';
import { denialMessage, type Verdict } from '../admission/verdict.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo: UserInfo;
  readonly object?: unknown;
  readonly oldObject?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionStatus {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  readonly warnings?: readonly string[];
  /** A mutating webhook's change: base64 of a JSON Patch (RFC 6902) document. */
  readonly patchType?: 'JSONPatch';
  readonly patch?: string;
}

export interface AdmissionReview {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly request?: AdmissionRequest;
  readonly response?: AdmissionResponse;
}

const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** The request inside an AdmissionReview body, or why it is not one. */
export function parseAdmissionReview(body: unknown): { request: AdmissionRequest } | { error: string } {
  if (typeof body !== 'object' || body === null) return { error: 'body is not a JSON object' };
  const review = body as Record<string, unknown>;
  if (review['apiVersion'] !== ADMISSION_API_VERSION || review['kind'] !== 'AdmissionReview') {
    return { error: `expected apiVersion ${ADMISSION_API_VERSION} kind AdmissionReview` };
  }
  const request = review['request'];
  if (typeof request !== 'object' || request === null) return { error: 'AdmissionReview has no request' };
  const r = request as Record<string, unknown>;
  if (typeof r['uid'] !== 'string' || r['uid'] === '') return { error: 'request.uid is missing' };
  if (typeof r['operation'] !== 'string' || !OPERATIONS.has(r['operation'])) return { error: 'request.operation is missing or unknown' };
  if (typeof r['kind'] !== 'object' || r['kind'] === null) return { error: 'request.kind is missing' };
  if (typeof r['resource'] !== 'object' || r['resource'] === null) return { error: 'request.resource is missing' };
  const userInfo = typeof r['userInfo'] === 'object' && r['userInfo'] !== null ? r['userInfo'] : {};
  return { request: { ...(r as unknown as AdmissionRequest), userInfo: userInfo as UserInfo } };
}

/** Who asks, as validators see it; `admin` is decided by the dispatcher. */
export function requesterOf(request: AdmissionRequest, admin = false): Requester {
  const info = request.userInfo;
  const groups = Array.isArray(info.groups) ? info.groups.filter((g): g is string => typeof g === 'string') : [];
  const extra = extraOf(info.extra);
  return {
    username: typeof info.username === 'string' ? info.username : '',
    groups,
    ...(typeof info.uid === 'string' && info.uid !== '' ? { uid: info.uid } : {}),
    ...(extra ? { extra } : {}),
    admin,
  };
}

/** userInfo.extra with anything but string lists dropped (the wire is not trusted to be well-formed). */
function extraOf(raw: unknown): Record<string, string[]> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(values)) out[key] = values.filter((v): v is string => typeof v === 'string');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Kubernetes shows at most this many characters of a warning; longer ones are cut by the apiserver anyway. */
const MAX_WARNING = 256;

/** The AdmissionReview answering `uid` with a verdict. */
export function reviewFor(uid: string, verdict: Verdict): AdmissionReview {
  const response: AdmissionResponse = verdict.allowed
    ? { uid, allowed: true, ...(verdict.warnings?.length ? { warnings: verdict.warnings.map((w) => w.slice(0, MAX_WARNING)) } : {}) }
    : { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: denialMessage(verdict.denial) } };
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

/** A failure of the webhook itself: denied (fail closed) with a 500 the caller can tell from a policy denial. */
export function internalErrorReview(uid: string, message: string): AdmissionReview {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: { uid, allowed: false, status: { code: 500, reason: 'InternalError', message: `canopy admission failed: ${message}` } },
  };
}
