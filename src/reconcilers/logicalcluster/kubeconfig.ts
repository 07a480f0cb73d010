/**
 * The tenant's kubeconfig and when its token must be renewed.
 *
 * The token is a TokenRequest token of the logical cluster's ServiceAccount,
 * bounded in lifetime; it is renewed once less than a third of its lifetime
 * remains (what kubelet does for projected tokens), so a client that re-reads
 * the Secret never holds an expired token.
 */

import { createHash } from 'node:crypto';

export interface KubeconfigTarget {
  /** Name of the cluster entry: the logical cluster's name. */
  readonly name: string;
  readonly server: string;
  /** Base64 PEM of the CA that verifies `server`; absent means the system trust store. */
  readonly caData?: string | undefined;
  /** Only when the operator itself talks to that server without verification. */
  readonly insecureSkipTlsVerify?: boolean | undefined;
  /** Default namespace of the context: the logical cluster's first namespace. */
  readonly namespace: string;
  /** User entry name, e.g. the ServiceAccount's full name. */
  readonly user: string;
}

/**
 * The kubeconfig document. Written as YAML by hand rather than through a YAML
 * library: it is rebuilt for every token rotation of every logical cluster,
 * and its shape is fixed. Every value is a double-quoted JSON string, which
 * YAML reads verbatim whatever characters it holds.
 */
export function tenantKubeconfig(target: KubeconfigTarget, token: string): string {
  const q = (value: string) => JSON.stringify(value);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `  - name: ${q(target.name)}`,
    '    cluster:',
    `      server: ${q(target.server)}`,
    ...(target.caData ? [`      certificate-authority-data: ${q(target.caData)}`] : []),
    ...(target.insecureSkipTlsVerify ? ['      insecure-skip-tls-verify: true'] : []),
    'users:',
    `  - name: ${q(target.user)}`,
    '    user:',
    `      token: ${q(token)}`,
    'contexts:',
    `  - name: ${q(target.name)}`,
    '    context:',
    `      cluster: ${q(target.name)}`,
    `      user: ${q(target.user)}`,
    `      namespace: ${q(target.namespace)}`,
    `current-context: ${q(target.name)}`,
    '',
  ].join('\n');
}

/**
 * A short fingerprint of where the kubeconfig points; stored on the Secret so
 * that a changed server, CA, namespace or binding re-issues it at once.
 */
export function targetFingerprint(target: KubeconfigTarget): string {
  return createHash('sha256')
    .update(JSON.stringify([target.server, target.caData ?? '', target.insecureSkipTlsVerify ?? false, target.namespace, target.user]))
    .digest('hex')
    .slice(0, 16);
}

export interface TokenState {
  /** Expiry recorded on the Secret, if any. */
  readonly expiresAt?: Date | undefined;
  /** Fingerprint recorded on the Secret, if any. */
  readonly fingerprint?: string | undefined;
}

export interface RefreshDecision {
  /** Issue a new token (and rewrite the Secret) now. */
  readonly renew: boolean;
  readonly why?: 'missing' | 'retargeted' | 'expiring';
  /** When to look again, in ms from now (renewal time of the current token). */
  readonly requeueAfterMs: number;
}

/** Renew when missing, retargeted, or with less than a third of the lifetime left. */
export function tokenRefresh(now: Date, state: TokenState, fingerprint: string, lifetimeSeconds: number): RefreshDecision {
  const renewWindowMs = (lifetimeSeconds * 1000) / 3;
  if (!state.expiresAt || Number.isNaN(state.expiresAt.getTime()))
    return { renew: true, why: 'missing', requeueAfterMs: lifetimeSeconds * 1000 - renewWindowMs };
  if (state.fingerprint !== fingerprint) return { renew: true, why: 'retargeted', requeueAfterMs: lifetimeSeconds * 1000 - renewWindowMs };
  const left = state.expiresAt.getTime() - now.getTime();
  if (left < renewWindowMs) return { renew: true, why: 'expiring', requeueAfterMs: lifetimeSeconds * 1000 - renewWindowMs };
  return { renew: false, requeueAfterMs: left - renewWindowMs };
}
