import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, Manager, Resources, runUntilSignal } from '../../src/runtime/index.js';

/**
 * A minimal operator process for the leader-election e2e: one controller that
 * stamps `reconciled-by: <identity>` on labelled ConfigMaps of one namespace.
 * Configured by environment (KUBECONFIG, CANOPY_NAMESPACE, TEST_IDENTITY).
 */
const namespace = process.env.CANOPY_NAMESPACE!;
const identity = process.env.TEST_IDENTITY!;
const logger = createLogger({ level: 'info' });
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const manager = new Manager({
  kubeConfig,
  namespace,
  logger,
  metricsPort: 0,
  healthPort: 0,
  bindAddress: '127.0.0.1',
  leaderElection: { identity, leaseName: 'leader-e2e' },
  gracefulShutdownTimeoutMs: 5000,
});
const configMaps = manager.informer(Resources.ConfigMap, { namespace, labelSelector: 'leader-test=yes' });
manager.addController({
  name: 'stamp',
  for: { resource: Resources.ConfigMap, namespace, labelSelector: 'leader-test=yes' },
  reconciler: async (request, { logger: log }) => {
    const current = configMaps.get(request.name, request.namespace);
    if (!current || current.metadata?.annotations?.['reconciled-by'] === identity) return;
    log.info({ identity }, 'stamping');
    await manager.client.patch(Resources.ConfigMap, request.name, request.namespace, { metadata: { annotations: { 'reconciled-by': identity } } }, 'merge');
  },
});
// One runnable per kind: the webhook-like one serves on every replica, the other only on the leader.
manager.addRunnable({ name: 'every-replica', needLeaderElection: false, start: () => logger.info('every-replica runnable started') });
manager.addRunnable({ name: 'leader-only', start: () => logger.info('leader-only runnable started') });
await manager.start();
process.exit(await runUntilSignal(manager));
