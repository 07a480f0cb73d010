/**
 * Canopy's side of the head-to-head benchmark, in its own process so its CPU
 * and peak RSS are the operator's alone (as Karmada's are its processes'):
 * a Manager with the cluster-health, placement and propagation features —
 * what the operator runs for placement and propagation — leader election and
 * HTTP servers off. Prints `{"event":"ready"}` once its caches are synced,
 * then runs until SIGTERM.
 *
 *   KUBECONFIG=host.kubeconfig node --import tsx bench/karmada/canopy-operator.child.ts shipped|lifted
 */
import { pino } from 'pino';
import { register as registerClusterHealth } from '../../src/reconcilers/cluster/index.js';
import { register as registerPlacement } from '../../src/reconcilers/placement/register.js';
import { registerPropagation } from '../../src/reconcilers/propagation/register.js';
import { KubeConfig } from '../../src/runtime/kubeconfig.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { Manager } from '../../src/runtime/manager.js';
import { CANOPY_TUNING } from './workload.js';

const tuning = process.argv[2] === 'lifted' ? CANOPY_TUNING.lifted : CANOPY_TUNING.shipped;
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const manager = new Manager({
  kubeConfig,
  leaderElection: false,
  metricsPort: false,
  healthPort: false,
  logger: process.env.BENCH_LOG ? pino({ level: process.env.BENCH_LOG }, pino.destination(2)) : silentLogger(),
  gracefulShutdownTimeoutMs: 5000,
});
registerClusterHealth(manager);
registerPlacement(manager);
registerPropagation(manager, tuning);
await manager.start();
while (manager.notReadyReasons().length > 0) await new Promise((r) => setTimeout(r, 50));
console.log(JSON.stringify({ event: 'ready' }));
const stop = async () => {
  await manager.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
