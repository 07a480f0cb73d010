import { join } from 'node:path';
import { KubeConfig } from '../src/runtime/kubeconfig.js';
import { Manager } from '../src/runtime/manager.js';
import { pino } from 'pino';
import { silentLogger } from '../src/runtime/logger.js';
import { Resources } from '../src/runtime/resources.js';
import { register } from '../src/reconcilers/logicalcluster/register.js';
import { register as registerWebhooks } from '../src/webhooks/index.js';

/**
 * The operator side of the LogicalCluster benchmark, in its own process so
 * its RSS is the operator's alone: a Manager running only the LogicalCluster
 * reconciler (leader election, metrics and health servers off). It prints
 * `{"event":"synced"}` once its caches are ready, then samples every 250 ms
 * how many logical clusters named `<prefix>-*` its cache shows Ready, and the
 * process RSS; when all `count` are Ready it prints one JSON result line.
 */
const [countArg, prefix = 'lc'] = process.argv.slice(2);
const count = Number(countArg);
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
register(manager);
// BENCH_WEBHOOK_CERT_DIR (tls.crt, tls.key, ca.crt): also serve the mutating admission webhook, as a
// production operator does, so logical clusters are created with their finalizer (the reconciler then
// skips that write). A provided certificate, as with the chart's webhook.existingSecret.
const certDir = process.env.BENCH_WEBHOOK_CERT_DIR;
if (certDir) {
  registerWebhooks(manager, {
    port: 0,
    webhooks: [],
    mutatingWebhooks: ['finalizers'],
    certificates: { certFile: join(certDir, 'tls.crt'), keyFile: join(certDir, 'tls.key'), caFile: join(certDir, 'ca.crt') },
  });
}
const logicalClusters = manager.informer<{ metadata?: { name?: string }; status?: { phase?: string } }>(Resources.LogicalCluster);
await manager.start();
await logicalClusters.waitForSync();
while (manager.notReadyReasons().length > 0) await new Promise((r) => setTimeout(r, 50));
const cpuAtSync = process.cpuUsage();
(globalThis as { gc?: () => void }).gc?.();
const heapAtSyncMiB = process.memoryUsage().heapUsed / 2 ** 20;
console.log(JSON.stringify({ event: 'synced', at: Date.now(), rssMiB: process.memoryUsage().rss / 2 ** 20 }));

const samples: Array<{ at: number; ready: number; rssMiB: number; heapMiB: number }> = [];
let peakRssMiB = 0;
const ready = () => {
  let n = 0;
  for (const lc of logicalClusters.list()) if (lc.status?.phase === 'Ready' && lc.metadata?.name?.startsWith(`${prefix}-`)) n++;
  return n;
};
const doneAt = await new Promise<number>((resolve) => {
  const tick = () => {
    const usage = process.memoryUsage();
    peakRssMiB = Math.max(peakRssMiB, usage.rss / 2 ** 20);
    const n = ready();
    samples.push({ at: Date.now(), ready: n, rssMiB: usage.rss / 2 ** 20, heapMiB: usage.heapUsed / 2 ** 20 });
    if (n >= count) resolve(Date.now());
    else setTimeout(tick, 250);
  };
  tick();
});
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
// What the operator keeps for these logical clusters (caches, memos), once the garbage of the burst is gone.
(globalThis as { gc?: () => void }).gc?.();
const retained = { heapAfterGcMiB: process.memoryUsage().heapUsed / 2 ** 20, rssAfterGcMiB: process.memoryUsage().rss / 2 ** 20 };
const cpu = process.cpuUsage(cpuAtSync);
console.log(
  JSON.stringify({
    event: 'done',
    doneAt,
    peakRssMiB: Math.max(peakRssMiB, maxRssMiB),
    maxRssMiB,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...retained,
    heapAtSyncMiB,
    samples,
  }),
);
await manager.stop();
process.exit(0);
