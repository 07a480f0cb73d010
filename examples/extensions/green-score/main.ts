/**
 * An external placement score plugin, written against Canopy's published
 * entry points only: an HTTPS server that Canopy asks, per placement
 * decision, to score the candidate clusters. It prefers clusters labelled
 * `green-energy=true` (100) over all others (0).
 *
 *   node --import tsx main.ts --port 8443
 *
 * Without --cert/--key it makes its own self-signed certificate (with
 * openssl) for --hosts. It prints one JSON line on stdout when it listens:
 * `{"url": "https://…/score", "caBundle": "<base64 PEM>"}` — the values of
 * a PlacementPolicy's spec.plugins[] entry.
 *
 * The request is Canopy's policy-engine request, `{input: {object,
 * clusters, workspace}}`; the answer is `{result: {clusters: {NAME: {score}}}}`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Cluster } from 'canopy/api';

const USAGE = `usage: main.ts [--port 8443] [--bind 127.0.0.1] [--hosts 127.0.0.1,localhost]
               [--cert tls.crt --key tls.key] [--label green-energy] [--green 100] [--other 0]

Scores clusters labelled <label>=true with --green and every other cluster with --other.
Serves POST /score (the plugin) and GET /healthz.`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8443' },
    bind: { type: 'string', default: '127.0.0.1' },
    hosts: { type: 'string', default: '127.0.0.1,localhost' },
    cert: { type: 'string' },
    key: { type: 'string' },
    label: { type: 'string', default: 'green-energy' },
    green: { type: 'string', default: '100' },
    other: { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const LABEL = values.label;
const GREEN = score(values.green, '--green');
const OTHER = score(values.other, '--other');
/** Canopy sends every registered cluster; a few thousand fit easily, anything far bigger is not Canopy. */
const MAX_REQUEST_BYTES = 16 << 20;

function score(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    console.error(`${flag} must be a number from 0 to 100`);
    process.exit(2);
  }
  return n;
}

/** The scoring itself: everything else in this file is plumbing. */
export function scoreClusters(clusters: readonly Pick<Cluster, 'metadata'>[]): Record<string, { score: number }> {
  const out: Record<string, { score: number }> = {};
  for (const c of clusters) {
    const name = c.metadata?.name;
    if (name) out[name] = { score: c.metadata.labels?.[LABEL] === 'true' ? GREEN : OTHER };
  }
  return out;
}

/** A key and a self-signed certificate (its own CA) valid for `hosts`, made with openssl in a temporary directory. */
function selfSigned(hosts: readonly string[]): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'green-score-'));
  try {
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=green-score',
        '-addext',
        `subjectAltName=${san}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) throw new Error('request too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/healthz') return reply(res, 200, { ok: true });
  if (req.method !== 'POST' || req.url !== '/score') return reply(res, 404, { error: 'POST /score' });
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (err) {
    return reply(res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
  const clusters = (body as { input?: { clusters?: unknown } } | null)?.input?.clusters;
  if (!Array.isArray(clusters)) return reply(res, 400, { error: 'input.clusters must be a list of Clusters' });
  const scores = scoreClusters(clusters as Pick<Cluster, 'metadata'>[]);
  const object = (body as { input?: { object?: { kind?: string; metadata?: { namespace?: string; name?: string } } } }).input?.object;
  console.error(
    `scored ${Object.keys(scores).length} cluster(s) for ${object?.kind ?? 'object'} ${object?.metadata?.namespace ?? ''}/${object?.metadata?.name ?? ''}`,
  );
  reply(res, 200, { result: { clusters: scores } });
}

const hosts = values.hosts
  .split(',')
  .map((h) => h.trim())
  .filter(Boolean);
let tls: ServerOptions;
if (values.cert || values.key) {
  if (!values.cert || !values.key) {
    console.error('--cert and --key go together');
    process.exit(2);
  }
  tls = { cert: readFileSync(values.cert, 'utf8'), key: readFileSync(values.key, 'utf8') };
} else {
  tls = selfSigned(hosts);
}

const server = createServer(tls, (req, res) => {
  handle(req, res).catch((err: unknown) => {
    if (!res.headersSent) reply(res, 500, { error: err instanceof Error ? err.message : String(err) });
  });
});
// A slow client must not hold a connection for ever.
server.requestTimeout = 30_000;
server.headersTimeout = 10_000;

server.listen(Number(values.port), values.bind, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(values.port);
  const host = hosts[0] ?? values.bind;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  // With --cert, the CA that signed it is not known here: the caller brings its own caBundle.
  const caBundle = values.cert ? undefined : Buffer.from(String(tls.cert)).toString('base64');
  console.log(JSON.stringify({ url: `https://${urlHost}:${port}/score`, ...(caBundle ? { caBundle } : {}) }));
  console.error(`green-score: scoring ${LABEL}=true clusters ${GREEN}, others ${OTHER}, on https://${urlHost}:${port}/score`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
