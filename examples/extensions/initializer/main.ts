/**
 * A LogicalCluster initializer, written against Canopy's published entry
 * points only: it waits for logical clusters whose status.initializers lists
 * its name, stamps a cost-center label on each of their namespaces and a
 * default ConfigMap into the first one, then removes its own name from
 * status.initializers. When the last initializer has done so, Canopy issues
 * the tenant's kubeconfig.
 *
 *   node --import tsx main.ts --name cost-center --cost-center shared
 *
 * Every step is idempotent (server-side apply, a JSON patch guarded by a
 * `test`), so a restart, a retry or a second replica never does harm.
 */
import { parseArgs } from 'node:util';
import { KubeConfig, Manager, Resources, apply, createLogger, isConflict, isInvalid, isNotFound, runUntilSignal, type ReconcileContext } from 'canopy/runtime';
import { canopyClients, type LogicalCluster, type Workspace } from 'canopy/api';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'cost-center' },
    'cost-center': { type: 'string', default: 'unassigned' },
    'label-key': { type: 'string', default: 'cost-center' },
    kubeconfig: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: initializer [--name cost-center] [--cost-center <default>] [--label-key cost-center] [--kubeconfig <file>]');
  process.exit(0);
}
/** The name this initializer answers to in Workspace spec.initializers. */
const NAME = values.name;
/** Used when the logical cluster's workspace carries no label of that key. */
const DEFAULT_COST_CENTER = values['cost-center'];
const LABEL_KEY = values['label-key'];
/** Field manager of every write, so `kubectl get --show-managed-fields` tells who stamped what. */
const FIELD_MANAGER = `initializer-${NAME.replace(/[^a-z0-9-]/g, '-')}`;

const kubeConfig = new KubeConfig();
if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
else kubeConfig.loadFromDefault();

const logger = createLogger({ name: FIELD_MANAGER });
// One process, no lease: an initializer's work is idempotent, so two replicas would only repeat each other.
const manager = new Manager({ kubeConfig, leaderElection: false, metricsPort: false, healthPort: false, logger });
const api = canopyClients(manager.client);
const logicalClusters = manager.informer<LogicalCluster>(Resources.LogicalCluster);

const waitingForMe = (lc: LogicalCluster | undefined): boolean => !!lc && !lc.metadata.deletionTimestamp && (lc.status?.initializers ?? []).includes(NAME);

manager.addController({
  name: FIELD_MANAGER,
  for: Resources.LogicalCluster,
  needLeaderElection: false,
  concurrency: 4,
  reconciler: async (request, ctx: ReconcileContext) => {
    const lc = logicalClusters.get(request.name);
    if (!waitingForMe(lc)) return;
    const namespaces = lc!.status?.namespaces ?? [];
    // Canopy lists the namespaces before it asks its initializers; none yet means "come back".
    if (namespaces.length === 0) return { requeueAfter: 1000 };
    const costCenter = await costCenterOf(lc!);

    for (const ns of namespaces) {
      // Only the label: server-side apply with our own field manager leaves Canopy's labels alone.
      await apply(
        manager.client,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [LABEL_KEY]: costCenter } } },
        { fieldManager: FIELD_MANAGER },
      );
    }
    await apply(
      manager.client,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cost-center', namespace: namespaces[0], labels: { [LABEL_KEY]: costCenter } },
        data: { costCenter, logicalCluster: request.name, workspace: lc!.spec.workspace },
      },
      { fieldManager: FIELD_MANAGER },
    );

    await removeMyName(lc!, ctx);
    ctx.logger.info({ logicalCluster: request.name, costCenter, namespaces }, 'initialized');
    return;
  },
});

/** The workspace's own label wins; the flag is the default. */
async function costCenterOf(lc: LogicalCluster): Promise<string> {
  const ws: Workspace | undefined = await api.workspaces.tryGet(lc.spec.workspace);
  return ws?.metadata.labels?.[LABEL_KEY] ?? DEFAULT_COST_CENTER;
}

/**
 * Removes exactly this initializer's entry. The `test` makes the patch fail
 * (and the reconcile retry on fresh data) if the list changed since it was
 * read, so another initializer's concurrent removal is never undone.
 */
async function removeMyName(lc: LogicalCluster, ctx: ReconcileContext): Promise<void> {
  const current = lc.status?.initializers ?? [];
  const index = current.indexOf(NAME);
  if (index < 0) return;
  const patch = [
    { op: 'test', path: '/status/initializers', value: current },
    { op: 'remove', path: `/status/initializers/${index}` },
  ];
  try {
    await api.logicalClusters.patch(lc.metadata.name ?? '', undefined, patch, 'json', {
      subresource: 'status',
      fieldManager: FIELD_MANAGER,
      signal: ctx.signal,
    });
  } catch (err) {
    if (isNotFound(err)) return; // deleted meanwhile: nothing left to initialize
    // A failed `test` (422) or a conflict: the list moved; throwing retries on the next cache state.
    if (isInvalid(err) || isConflict(err)) throw new Error(`status.initializers of ${lc.metadata.name} changed while patching; retrying`);
    throw err;
  }
}

await manager.start();
logger.info({ name: NAME, defaultCostCenter: DEFAULT_COST_CENTER, labelKey: LABEL_KEY }, 'initializer running');
process.exitCode = await runUntilSignal(manager);
