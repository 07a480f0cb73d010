import { KubeConfig } from '../src/runtime/kubeconfig.js';
import { Manager } from '../src/runtime/manager.js';
import { silentLogger } from '../src/runtime/logger.js';
import { register } from '../src/webhooks/index.js';

/**
 * The operator side of the webhook benchmark, in its own process so its CPU
 * and RSS are the webhook's alone: a Manager running only the admission
 * webhook (leader election, metrics and health servers off), on a free
 * loopback port. Prints `{"event":"ready","port":…}` once it serves, then a
 * `{"event":"sample",…}` line every second with CPU time and memory, until
 * stdin closes.
 */
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const skipLabel = process.argv[2];

const manager = new Manager({
  kubeConfig,
  leaderElection: false,
  metricsPort: false,
  healthPort: false,
  logger: silentLogger(),
  gracefulShutdownTimeoutMs: 5000,
});
const webhook = register(manager, {
  port: 0,
  configurationName: 'canopy-validating-bench',
  certificates: { secretName: 'canopy-webhook-tls-bench' },
  // Objects carrying the skip label bypass the webhook: the through-the-apiserver baseline.
  ...(skipLabel ? { objectSelector: { matchExpressions: [{ key: skipLabel, operator: 'DoesNotExist' }] } } : {}),
});
await manager.start();
while (!webhook.ready()) await new Promise((r) => setTimeout(r, 50));
console.log(JSON.stringify({ event: 'ready', port: webhook.port, rssMiB: process.memoryUsage().rss / 2 ** 20 }));

/** Requests answered and seconds spent answering them, from the webhook's own latency histogram. */
async function handled(): Promise<{ count: number; seconds: number }> {
  const metric = manager.metrics.registry.getSingleMetric('controller_runtime_webhook_latency_seconds');
  const values = metric ? (await metric.get()).values : [];
  let count = 0;
  let seconds = 0;
  for (const v of values as Array<{ metricName?: string; value: number }>) {
    if (v.metricName?.endsWith('_count')) count += v.value;
    if (v.metricName?.endsWith('_sum')) seconds += v.value;
  }
  return { count, seconds };
}

let last = { at: performance.now(), cpu: process.cpuUsage() };
const timer = setInterval(async () => {
  const now = { at: performance.now(), cpu: process.cpuUsage() };
  const cpuMs = (now.cpu.user - last.cpu.user + now.cpu.system - last.cpu.system) / 1000;
  const elapsedMs = now.at - last.at;
  const memory = process.memoryUsage();
  last = now;
  const answered = await handled();
  console.log(
    JSON.stringify({
      event: 'sample',
      at: Date.now(),
      cpuPercent: (100 * cpuMs) / elapsedMs,
      rssMiB: memory.rss / 2 ** 20,
      heapMiB: memory.heapUsed / 2 ** 20,
      answered: answered.count,
      answeringSeconds: answered.seconds,
    }),
  );
}, 1000);

process.stdin.resume();
process.stdin.on('end', async () => {
  clearInterval(timer);
  await manager.stop();
  process.exit(0);
});
