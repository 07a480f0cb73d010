import https from 'node:https';
import { KubeConfig } from '../src/runtime/kubeconfig.js';
import { ApiClient } from '../src/runtime/http.js';
import { Informer } from '../src/runtime/informer.js';
import { silentLogger } from '../src/runtime/logger.js';
import { Resources } from '../src/runtime/resources.js';

/**
 * One measurement of the informer-sync benchmark, in a fresh process so RSS
 * belongs to one mode only. `informers`: the runtime's informers on
 * namespaces and labelled ConfigMaps until both synced. `floor`: the least
 * any client can do: a paginated raw list of the same objects, each page
 * parsed and dropped. Prints one JSON line.
 */
const mode = process.argv[2];
const labelSelector = process.argv[3] ?? 'bench=informer-sync';
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();

async function runInformers(): Promise<Record<string, number>> {
  const client = new ApiClient(kubeConfig);
  const namespaces = new Informer(client, Resources.Namespace, {}, silentLogger());
  const configMaps = new Informer(client, Resources.ConfigMap, { labelSelector }, silentLogger());
  const started = performance.now();
  namespaces.start();
  configMaps.start();
  await Promise.all([namespaces.waitForSync(), configMaps.waitForSync()]);
  const syncMs = performance.now() - started;
  // Measured while the caches are alive (they are the point of an informer).
  const result = { syncMs, namespaces: namespaces.size, configMaps: configMaps.size, ...memory() };
  await Promise.all([namespaces.stop(), configMaps.stop()]);
  return result;
}

/** Paginated GET with nothing but https and JSON.parse. */
async function rawList(path: string, agent: https.Agent, headers: Record<string, string>, server: string): Promise<number> {
  let count = 0;
  let token = '';
  do {
    const url = new URL(`${server}${path}`);
    url.searchParams.set('limit', '500');
    if (token) url.searchParams.set('continue', token);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(url, { agent, headers: { Accept: 'application/json', ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    const page = JSON.parse(body) as { items: unknown[]; metadata: { continue?: string } };
    count += page.items.length;
    token = page.metadata.continue ?? '';
  } while (token);
  return count;
}

async function runFloor(): Promise<Record<string, number>> {
  const opts: https.RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(opts);
  const agent = new https.Agent({ keepAlive: true, ca: opts.ca, cert: opts.cert, key: opts.key });
  const headers = Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const server = kubeConfig.getCurrentCluster()!.server;
  const started = performance.now();
  const [namespaces, configMaps] = await Promise.all([
    rawList('/api/v1/namespaces', agent, headers, server),
    rawList(`/api/v1/configmaps?labelSelector=${encodeURIComponent(labelSelector)}`, agent, headers, server),
  ]);
  const syncMs = performance.now() - started;
  agent.destroy();
  return { syncMs, namespaces, configMaps, ...memory() };
}

/** Memory after a full GC (run with --expose-gc): what the process keeps, not garbage not yet collected. */
function memory(): Record<string, number> {
  const cpu = process.cpuUsage(cpuAtStart);
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssAfterSyncMiB: usage.rss / 2 ** 20,
    heapUsedMiB: usage.heapUsed / 2 ** 20,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
/** CPU this process spent from its first request to the end of the sync (all threads, GC included). */
const cpuAtStart = process.cpuUsage();
const result = mode === 'floor' ? await runFloor() : await runInformers();
console.log(JSON.stringify({ mode, ...result, baselineRssMiB }));
