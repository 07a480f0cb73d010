/**
 * Issues and renews the tenant kubeconfig: a TokenRequest token of the
 * logical cluster's ServiceAccount (on the cluster where it lives), written
 * into the Secret `<name>-kubeconfig` on the host with its expiry and target
 * recorded as annotations. Expiries are remembered in memory so an unchanged
 * logical cluster costs no request; after a restart they are read back from
 * the Secret once.
 *
 * With a gateway configured the kubeconfig's server is the gateway's path of
 * the logical cluster (whatever its mode) and its CA the gateway's; the token
 * stays the ServiceAccount's, which the gateway authenticates where it lives.
 */

import type { LogicalClusterLike } from '../../hierarchy/logical-cluster.js';
import { apply, isAlreadyExists, Resources, type ApiClient, type KubeObject } from '../../runtime/index.js';
import { targetFingerprint, tenantKubeconfig, tokenRefresh, type KubeconfigTarget, type TokenState } from './kubeconfig.js';
import { ANNOTATION_KUBECONFIG_TARGET, ANNOTATION_TOKEN_EXPIRES, KUBECONFIG_KEY, kubeconfigSecretName, ownershipLabels, serviceAccountName } from './names.js';
import { requestToken } from './ops.js';
import { gatewayEndpointFor, type KubeconfigEndpoint, type ServerEndpoint } from './target.js';

/** How long an issue waits for the gateway to report where it listens. */
const GATEWAY_ENDPOINT_WAIT_MS = 20_000;

export interface IssueRequest {
  readonly lc: LogicalClusterLike;
  /** The first namespace: home of the ServiceAccount and the Secret. */
  readonly namespace: string;
  readonly lifetimeSeconds: number;
  /** Where the ServiceAccount lives: the host (Namespace mode) or the bound member. */
  readonly client: ApiClient;
  /** The direct endpoint of that cluster; used when no gateway endpoint is configured. */
  readonly endpoint: ServerEndpoint;
}

export class KubeconfigIssuer {
  private readonly tokens = new Map<string, { expiresAt: Date; fingerprint: string }>();

  constructor(
    private readonly host: ApiClient,
    private readonly now: () => Date,
    private readonly kubeconfigEndpoint?: KubeconfigEndpoint,
  ) {}

  /** Writes the Secret when its token is missing, retargeted or expiring; returns when to look again (ms). */
  async ensure(req: IssueRequest, signal: AbortSignal): Promise<number> {
    const name = req.lc.metadata.name ?? '';
    const sa = serviceAccountName(name);
    const endpoint = await this.endpointOf(name, req.endpoint, signal);
    const target: KubeconfigTarget = {
      name,
      server: endpoint.server,
      caData: endpoint.caData,
      insecureSkipTlsVerify: endpoint.insecureSkipTlsVerify,
      namespace: req.namespace,
      user: sa,
    };
    const fingerprint = targetFingerprint(target);
    const state = this.tokens.get(name) ?? (req.lc.status?.kubeconfigSecretRef ? await this.readState(req.namespace, kubeconfigSecretName(name)) : {});
    const now = this.now();
    const due = tokenRefresh(now, state, fingerprint, req.lifetimeSeconds);
    if (!due.renew) return due.requeueAfterMs;
    const issued = await requestToken(req.client, req.namespace, sa, req.lifetimeSeconds, signal);
    const secret: KubeObject & { type: string; data: Record<string, string> } = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: kubeconfigSecretName(name),
        namespace: req.namespace,
        labels: ownershipLabels(name, req.lc.spec.workspace),
        annotations: { [ANNOTATION_TOKEN_EXPIRES]: issued.expiresAt.toISOString(), [ANNOTATION_KUBECONFIG_TARGET]: fingerprint },
      },
      type: 'Opaque',
      data: { [KUBECONFIG_KEY]: Buffer.from(tenantKubeconfig(target, issued.token)).toString('base64') },
    };
    await this.write(secret, due.why === 'missing' && !req.lc.status?.kubeconfigSecretRef, signal);
    this.tokens.set(name, { expiresAt: issued.expiresAt, fingerprint });
    return tokenRefresh(now, { expiresAt: issued.expiresAt, fingerprint }, fingerprint, req.lifetimeSeconds).requeueAfterMs;
  }

  /**
   * The gateway's path of the logical cluster when one is configured, else
   * the direct endpoint. Bounded: a gateway that never starts listening (no
   * certificate yet) must fail this reconcile, which is retried with backoff,
   * rather than hold a worker forever.
   */
  private async endpointOf(name: string, direct: ServerEndpoint, signal: AbortSignal): Promise<ServerEndpoint> {
    const gateway = this.kubeconfigEndpoint?.();
    if (!gateway) return direct;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the tenant gateway is not serving yet (no endpoint within ${GATEWAY_ENDPOINT_WAIT_MS / 1000}s)`)),
        GATEWAY_ENDPOINT_WAIT_MS,
      );
      onAbort = () => reject(signal.reason ?? new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return gatewayEndpointFor(await Promise.race([gateway, bound]), name);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  forget(name: string): void {
    this.tokens.delete(name);
  }

  /** The first Secret of a logical cluster is created with a POST (cheaper); later ones, and any surprise, are applied. */
  private async write(secret: KubeObject, first: boolean, signal: AbortSignal): Promise<void> {
    if (first) {
      try {
        await this.host.create(Resources.Secret, secret, signal);
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    await apply(this.host, secret, { resource: Resources.Secret, signal });
  }

  private async readState(namespace: string, secretName: string): Promise<TokenState> {
    const secret = await this.host.tryGet(Resources.Secret, secretName, namespace);
    const annotations = secret?.metadata?.annotations ?? {};
    const expires = annotations[ANNOTATION_TOKEN_EXPIRES];
    return { expiresAt: expires ? new Date(expires) : undefined, fingerprint: annotations[ANNOTATION_KUBECONFIG_TARGET] };
  }
}
