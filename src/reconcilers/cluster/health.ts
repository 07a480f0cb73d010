/**
 * Pure decisions of the Cluster health reconciler: what a probe outcome means
 * for the Ready condition, when a cluster earns the unreachable taint, and what
 * it can hold. No I/O here; the shell in reconciler.ts feeds it.
 */
import type { Cluster, ClusterStatus } from '../../crds/cluster.js';
import { DEFAULT_FAILOVER_AFTER_SECONDS, DEFAULT_PROBE_INTERVAL_SECONDS } from '../../crds/cluster.js';
import type { Condition, Taint } from '../../crds/common.js';
import { TAINT_UNREACHABLE } from '../../crds/labels.js';
import type { ConditionUpdate } from '../../kube/conditions.js';
import { redact } from '../../runtime/redact.js';
import { addQuantities, formatQuantity, parseQuantity } from '../../kube/quantity.js';

/** Why a probe failed, in the words a cluster admin acts on. */
export type NotReadyReason =
  | 'Unreachable'
  | 'ProbeTimeout'
  | 'CertificateInvalid'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotReady'
  | 'SecretRefMissing'
  | 'SecretNotFound'
  | 'KeyNotFound'
  | 'InvalidKubeconfig'
  | 'KubeconfigRefused'
  | 'ClusterNotFound';

export type ProbeOutcome = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reason: NotReadyReason; readonly message: string };

const TLS_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE']);

/** Classifies a failed probe (a Node.js error or an HTTP status) into a reason and message. */
export function classifyProbeFailure(server: string, failure: { code?: string; message: string } | { status: number; body: string }): ProbeOutcome {
  if ('status' in failure) {
    if (failure.status === 401)
      return notReady('Unauthorized', `${server} rejected the credentials in the kubeconfig Secret (401): renew the token or client certificate`);
    if (failure.status === 403)
      return notReady(
        'Forbidden',
        `${server} refused /readyz to the identity in the kubeconfig Secret (403): grant it get on nonResourceURLs /readyz and /version`,
      );
    const failing = failure.body
      .split('\n')
      .filter((l) => l.startsWith('[-]'))
      .map((l) => l.slice(3).split(' ')[0]);
    return notReady('NotReady', `${server}/readyz answered ${failure.status}${failing.length ? `; failing checks: ${failing.join(', ')}` : ''}`);
  }
  const code = failure.code ?? '';
  if (TLS_ERROR_CODES.has(code)) {
    return notReady(
      'CertificateInvalid',
      `TLS to ${server} failed (${code}): the certificate-authority-data in the kubeconfig Secret does not match the cluster's serving certificate`,
    );
  }
  if (code === 'ETIMEDOUT' || /timed out|timeout/i.test(failure.message)) {
    return notReady('ProbeTimeout', `${server} did not answer /readyz in time: check the network path and the apiserver's load`);
  }
  if (NETWORK_ERROR_CODES.has(code))
    return notReady('Unreachable', `cannot reach ${server} (${code}): check that the apiserver runs and the address in the kubeconfig Secret is right`);
  return notReady('Unreachable', `probing ${server} failed: ${failure.message}`);
}

/** Messages quote what a member answered or what failed: never let a credential through. */
function notReady(reason: NotReadyReason, message: string): ProbeOutcome {
  return { ok: false, reason, message: redact(message) };
}

export function readyConditionUpdate(outcome: ProbeOutcome): ConditionUpdate {
  return outcome.ok
    ? { type: 'Ready', status: 'True', reason: 'Ready', message: `/readyz ok, Kubernetes ${outcome.version}` }
    : { type: 'Ready', status: 'False', reason: outcome.reason, message: redact(outcome.message) };
}

export function failoverAfterMs(cluster: Pick<Cluster, 'spec'>): number {
  return (cluster.spec.failoverAfterSeconds ?? DEFAULT_FAILOVER_AFTER_SECONDS) * 1000;
}

export function probeIntervalMs(cluster: Pick<Cluster, 'spec'>): number {
  return (cluster.spec.probeIntervalSeconds ?? DEFAULT_PROBE_INTERVAL_SECONDS) * 1000;
}

/**
 * The taints the cluster should carry given its Ready condition: the
 * unreachable NoExecute taint once NotReady has lasted failoverAfterSeconds,
 * and none of it once Ready again. Other taints are the admin's and kept.
 */
export function desiredTaints(cluster: Pick<Cluster, 'spec'>, ready: Condition | undefined, now: Date): Taint[] {
  const others = (cluster.spec.taints ?? []).filter((t) => t.key !== TAINT_UNREACHABLE);
  const existing = (cluster.spec.taints ?? []).find((t) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute');
  if (!ready || ready.status === 'True') return others;
  const since = Date.parse(ready.lastTransitionTime);
  if (existing || now.getTime() - since >= failoverAfterMs(cluster)) {
    return [...others, existing ?? { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: now.toISOString() }];
  }
  return others;
}

/** How long until the unreachable taint is due (undefined: not pending). */
export function msUntilTaint(cluster: Pick<Cluster, 'spec'>, ready: Condition | undefined, now: Date): number | undefined {
  if (!ready || ready.status === 'True') return undefined;
  if ((cluster.spec.taints ?? []).some((t) => t.key === TAINT_UNREACHABLE)) return undefined;
  return Math.max(0, Date.parse(ready.lastTransitionTime) + failoverAfterMs(cluster) - now.getTime());
}

export function sameTaints(a: readonly Taint[] | undefined, b: readonly Taint[] | undefined): boolean {
  const key = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  return JSON.stringify((a ?? []).map(key).sort()) === JSON.stringify((b ?? []).map(key).sort());
}

interface NodeLike {
  readonly status?: { readonly allocatable?: Readonly<Record<string, string>> };
}

/**
 * What the cluster can hold: the sum of its nodes' allocatable where nodes
 * exist, else the admin's spec.capacity (clusters without nodes, or agents
 * that do not report them).
 */
export function allocatable(nodes: readonly NodeLike[], capacity: ClusterStatus['allocatable']): ClusterStatus['allocatable'] {
  const withAllocatable = nodes.filter((n) => n.status?.allocatable);
  if (withAllocatable.length === 0) return capacity;
  const byResource = new Map<string, string[]>();
  for (const node of withAllocatable) {
    for (const [resource, value] of Object.entries(node.status!.allocatable!)) byResource.set(resource, [...(byResource.get(resource) ?? []), value]);
  }
  return Object.fromEntries(
    [...byResource]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([resource, values]) => [resource, formatQuantity(values.map((v) => parseQuantity(v)).reduce((a, b) => addQuantities(a, b)))]),
  );
}
