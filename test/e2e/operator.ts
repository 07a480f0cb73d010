import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuthenticationV1Api, AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { kubeConfigFor, repoRoot, waitUntil, type LocalEnvironment } from '../../controlplane/launcher/index.js';
import { Manager } from '../../src/runtime/index.js';
import { applyManifests, readManifests } from '../../src/dev/manifests.js';
import { registerMembers, SYSTEM_NAMESPACE } from '../../src/dev/register.js';
import { registerReconcilers, registrations } from '../../src/reconcilers/index.js';
import { register as registerWebhooks } from '../../src/webhooks/index.js';
import { register as registerGateway, type GatewayHandle } from '../../src/gateway/index.js';

/** Where the shared e2e operator logs (JSON lines); kept after the run for debugging. */
export const operatorLogPath = join(repoRoot, '.canopy', 'test', `operator-${process.pid}.log`);

export interface TestOperator {
  readonly manager: Manager;
  /** The operator's own identity: ServiceAccount canopy-system/canopy-operator bound by config/rbac. */
  readonly kubeConfig: KubeConfig;
  /** The tenant gateway, on a kernel-chosen loopback port. */
  readonly gateway: GatewayHandle;
  stop(): Promise<void>;
}

/**
 * Runs the operator in-process the way the chart deploys it: as the
 * canopy-operator ServiceAccount with only the RBAC in config/rbac, so a
 * missing permission fails the e2e suites instead of hiding behind admin.
 */
export interface TestOperatorOptions {
  /**
   * Where the tenant kubeconfigs the operator issues point: `gateway` (the
   * default, as in the chart: the gateway's `/clusters/<logical-cluster>` path
   * and CA) or `direct` (the host or member apiserver).
   */
  readonly tenantKubeconfig?: 'gateway' | 'direct';
}

export async function startTestOperator(env: LocalEnvironment, options: TestOperatorOptions = {}): Promise<TestOperator> {
  const admin = env.host.kubeConfig();
  await applyManifests(admin, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } }]);
  await applyManifests(admin, readManifests(join(repoRoot, 'config', 'rbac')));
  await registerMembers(admin, env.members);
  const kubeConfig = await serviceAccountKubeConfig(env, SYSTEM_NAMESPACE, 'canopy-operator');
  await waitForAggregatedRole(admin, `system:serviceaccount:${SYSTEM_NAMESPACE}:canopy-operator`);

  mkdirSync(join(repoRoot, '.canopy', 'test'), { recursive: true });
  const logger = pino(
    { name: 'canopy', level: process.env.CANOPY_LOG_LEVEL ?? 'debug', timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: operatorLogPath, sync: false, append: false }),
  );
  const manager = new Manager({
    kubeConfig,
    namespace: SYSTEM_NAMESPACE,
    leaderElection: false,
    metricsPort: 0,
    healthPort: 0,
    bindAddress: '127.0.0.1',
    logger,
    gracefulShutdownTimeoutMs: 10_000,
  });
  let gateway: GatewayHandle | undefined;
  registerReconcilers(
    manager,
    registrations,
    (options.tenantKubeconfig ?? 'gateway') === 'gateway' ? { tenantKubeconfigEndpoint: () => gateway?.endpoint() } : {},
  );
  // As in production: admission in front of every Canopy kind, on a kernel-chosen loopback port.
  registerWebhooks(manager, { port: 0 });
  gateway = registerGateway(manager, { port: 0 });
  await manager.start();
  return { manager, kubeConfig, gateway, stop: () => manager.stop() };
}

async function serviceAccountKubeConfig(env: LocalEnvironment, namespace: string, name: string): Promise<KubeConfig> {
  const admin = env.host.kubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  await core.readNamespacedServiceAccount({ name, namespace });
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  // Prove the token authenticates as the service account before handing it out.
  const review = await admin.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token } } });
  if (review.status?.user?.username !== `system:serviceaccount:${namespace}:${name}`)
    throw new Error(`token for ${name} does not authenticate: ${JSON.stringify(review.status)}`);
  return kubeConfigFor({ clusterName: env.host.name, server: env.host.server, caPem: env.host.caPem, userName: name, token });
}

/** The operator's ClusterRole is aggregated by kube-controller-manager; wait until it grants. */
async function waitForAggregatedRole(admin: KubeConfig, user: string): Promise<void> {
  const authz = admin.makeApiClient(AuthorizationV1Api);
  const granted = await waitUntil(30_000, 200, async () => {
    const review = await authz.createSubjectAccessReview({
      body: { spec: { user, resourceAttributes: { group: 'canopy.dev', resource: 'clusters', verb: 'list' } } },
    });
    return review.status?.allowed === true;
  });
  if (!granted) throw new Error(`the canopy-operator ClusterRole was not aggregated within 30s (is clusterrole-aggregation-controller running?)`);
}
