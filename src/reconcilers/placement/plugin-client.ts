/**
 * Asks external placement plugins (`spec.plugins[]`) over HTTPS, and caches
 * their answers so that a plugin is asked once per object generation and
 * cluster set, not on every health probe that re-decides the object.
 *
 * The request is the policy engine's (`{input: {object, clusters,
 * workspace}}`, policy-engine-client.ts), so an OPA policy can serve as a
 * plugin too. The answer is `{result: {clusters: {NAME: {pass, reason}}}}`
 * from a Filter plugin and `{result: {clusters: {NAME: {score}}}}` from a
 * Score plugin. Everything else, a timeout, an oversized body or a refused
 * address comes back as `{error}`: the engine's failurePolicy check decides
 * what that means. Nothing from a failed answer's body reaches status.
 */
import { createHash } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { PolicyEngineInput } from './policy-engine-client.js';
import { DEFAULT_PLUGIN_CACHE_SECONDS, DEFAULT_PLUGIN_TIMEOUT_SECONDS, MAX_PLUGIN_TIMEOUT_SECONDS } from '../../crds/placementpolicy.js';
import type { Cluster, ExternalPluginRef, PluginAnswer, PluginVerdict } from './types.js';

/** Enough for verdicts with reasons for thousands of clusters; a bigger answer is an error, not a memory spike. */
export const MAX_PLUGIN_RESPONSE_BYTES = 1 << 20;
/** A verdict's reason lands in status: bounded, one line. */
export const MAX_REASON_LENGTH = 256;
/** A failed plugin is asked again after this long at the latest (sooner with a smaller cacheSeconds). */
export const FAILURE_CACHE_MS = 5_000;
/** Answers kept at most; the oldest go first. Bounds memory whatever the number of objects. */
export const MAX_CACHED_ANSWERS = 10_000;
/** Per-cluster entries (verdicts, scores) kept at most over all answers: ~100 MB for a large fleet. */
export const MAX_CACHED_CLUSTER_ENTRIES = 1_000_000;

/**
 * Set to `true` to let plugins sit on loopback addresses: for development
 * and tests, where the plugin runs on the operator's host. Off in production,
 * where loopback is the operator's own pod (metrics, health, webhook ports).
 */
export const ALLOW_LOOPBACK_ENV = 'CANOPY_PLACEMENT_PLUGINS_ALLOW_LOOPBACK';

const ALWAYS_REFUSED = new BlockList();
// Link-local holds the clouds' metadata services (169.254.169.254 hands out node credentials).
ALWAYS_REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_REFUSED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_REFUSED.addSubnet('0.0.0.0', 8, 'ipv4');
ALWAYS_REFUSED.addAddress('::', 'ipv6');
ALWAYS_REFUSED.addSubnet('224.0.0.0', 4, 'ipv4');
ALWAYS_REFUSED.addSubnet('ff00::', 8, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Why the operator will not connect to this address (`a loopback address,
 * …`), or undefined. Cluster-
 * internal addresses (Services) stay allowed: that is where plugins usually
 * run. IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
export function refusedAddress(address: string, allowLoopback: boolean): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (ALWAYS_REFUSED.check(ip, type)) return 'a link-local, unspecified or multicast address, which plugins may not use';
  if (!allowLoopback && LOOPBACK.check(ip, type)) return `a loopback address, which plugins may not use (${ALLOW_LOOPBACK_ENV}=true allows it for development)`;
  return undefined;
}

function loopbackAllowed(): boolean {
  return process.env[ALLOW_LOOPBACK_ENV] === 'true';
}

function stripControl(s: string): string {
  return s.replace(/\p{Cc}+/gu, ' ').trim();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Parses a plugin's answer for a plugin of `type`. Entries for clusters that
 * were not asked about are dropped; anything malformed fails the whole
 * answer (never "allow all"), naming the first problem.
 */
export function parsePluginAnswer(type: string, body: string, asked: ReadonlySet<string>): PluginAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { error: 'the answer is not JSON' };
  }
  const result = (parsed as { result?: unknown } | null)?.result;
  if (result === null || typeof result !== 'object') return { error: 'the answer has no "result" object' };
  const clusters = (result as { clusters?: unknown }).clusters;
  if (clusters === null || typeof clusters !== 'object' || Array.isArray(clusters)) return { error: 'result.clusters must be an object keyed by cluster name' };
  if (type === 'Filter') {
    const verdicts: Record<string, PluginVerdict> = {};
    for (const [name, value] of Object.entries(clusters as Record<string, unknown>)) {
      if (!asked.has(name)) continue;
      const pass = (value as { pass?: unknown } | null)?.pass;
      const reason = (value as { reason?: unknown } | null)?.reason;
      if (typeof pass !== 'boolean') return { error: `result.clusters.${truncate(name, 63)}.pass must be true or false` };
      if (reason !== undefined && typeof reason !== 'string') return { error: `result.clusters.${name}.reason must be a string` };
      const text = reason === undefined ? '' : truncate(stripControl(reason), MAX_REASON_LENGTH);
      verdicts[name] = text ? { pass, reason: text } : { pass };
    }
    return { verdicts };
  }
  if (type === 'Score') {
    const scores: Record<string, number> = {};
    for (const [name, value] of Object.entries(clusters as Record<string, unknown>)) {
      if (!asked.has(name)) continue;
      const score = (value as { score?: unknown } | null)?.score;
      if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 100) {
        return { error: `result.clusters.${name}.score must be a number from 0 to 100` };
      }
      scores[name] = score;
    }
    return { scores };
  }
  return { error: `unknown plugin type ${truncate(String(type), 32)}` };
}

export interface AskOptions {
  /** Defaults to the ALLOW_LOOPBACK_ENV environment setting. */
  readonly allowLoopback?: boolean;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Asks one plugin. The whole exchange, body included, must finish within
 * timeoutSeconds (a socket idle timeout alone would let a plugin that drips
 * one byte a second hold a reconcile for ever).
 */
export function askPlugin(ref: ExternalPluginRef, input: PolicyEngineInput, options: AskOptions = {}): Promise<PluginAnswer> {
  const allowLoopback = options.allowLoopback ?? loopbackAllowed();
  const timeoutSeconds = Math.min(MAX_PLUGIN_TIMEOUT_SECONDS, Math.max(1, ref.timeoutSeconds ?? DEFAULT_PLUGIN_TIMEOUT_SECONDS));
  const asked = new Set(input.clusters.map((c) => (c as Cluster).metadata?.name).filter((n): n is string => typeof n === 'string'));
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(ref.url);
    } catch {
      resolve({ error: 'the url is not a valid URL' });
      return;
    }
    if (url.protocol !== 'https:') {
      resolve({ error: 'plugins are reached over https only' });
      return;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // An IP literal is connected to without a lookup, so it is judged here; names are judged after resolution.
    if (isIP(host)) {
      const refused = refusedAddress(host, allowLoopback);
      if (refused) {
        resolve({ error: `refused: ${host} is ${refused}`, unreachable: true });
        return;
      }
    }
    let ca: string | undefined;
    if (ref.caBundle) {
      ca = Buffer.from(ref.caBundle, 'base64').toString('utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
        resolve({ error: 'caBundle is not a base64 PEM certificate bundle' });
        return;
      }
    }
    // Resolves, then refuses if any address is forbidden: a name that resolves to loopback or the
    // metadata service (DNS rebinding included, as this runs for every connection) is not reached.
    const lookup = (hostname: string, opts: { all?: boolean; family?: number }, callback: LookupCallback): void => {
      dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
        if (err) return callback(err, '');
        for (const a of addresses) {
          const refused = refusedAddress(a.address, allowLoopback);
          if (refused) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${a.address}, ${refused}`), { code: 'EREFUSED' }), '');
        }
        if (opts.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
    let settled = false;
    const finish = (answer: PluginAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(answer);
    };
    const payload = Buffer.from(JSON.stringify({ input }));
    const req = httpsRequest(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(payload.length), Accept: 'application/json' },
      lookup: lookup as never,
      // No redirects are followed (node's https does not), so a plugin cannot bounce the operator elsewhere.
      ...(ca ? { ca } : {}),
    });
    const deadline = setTimeout(() => {
      req.destroy();
      finish({ error: `no complete answer within ${timeoutSeconds}s`, unreachable: true });
    }, timeoutSeconds * 1000);
    req.on('error', (err) => finish({ error: truncate(stripControl(err.message), MAX_REASON_LENGTH), unreachable: true }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        res.resume();
        req.destroy();
        finish({ error: `HTTP ${status}` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_PLUGIN_RESPONSE_BYTES) {
          req.destroy();
          finish({ error: `answer larger than ${MAX_PLUGIN_RESPONSE_BYTES / (1 << 20)} MiB` });
        } else chunks.push(chunk);
      });
      res.on('end', () => finish(parsePluginAnswer(ref.type, Buffer.concat(chunks).toString('utf8'), asked)));
      res.on('error', (err) => finish({ error: truncate(stripControl(err.message), MAX_REASON_LENGTH) }));
    });
    req.end(payload);
  });
}

/**
 * What identifies the clusters a plugin judged (a digest of their names, spec
 * generations, labels and readiness). Status that changes with every probe
 * (probe time, allocatable) is left out on purpose, so probes alone never ask
 * again; cacheSeconds bounds how stale such an answer may get.
 */
export function clusterFingerprint(clusters: readonly Cluster[]): string {
  let fp = fingerprints.get(clusters);
  if (fp === undefined) {
    const parts = clusters
      .map((c) => {
        const m = c.metadata as Cluster['metadata'] & { generation?: number };
        const labels = Object.entries(m.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const ready = c.status?.conditions?.find((x) => x.type === 'Ready')?.status ?? '';
        return JSON.stringify([m.name ?? '', m.generation ?? 0, labels, ready]);
      })
      .sort();
    fp = digest(parts.join('\n'));
    fingerprints.set(clusters, fp);
  }
  return fp;
}
const fingerprints = new WeakMap<readonly Cluster[], string>();

/** Keys stay small however big the fleet or the caBundle: a cache of 10,000 answers must not hold 10,000 fleets' worth of text. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export interface CachedAsk {
  readonly answer: PluginAnswer;
  /**
   * Milliseconds until the answer is asked again: the caller decides the
   * object again then. Undefined with cacheSeconds 0 (asked on every decision).
   */
  readonly expiresInMs: number | undefined;
}

interface Entry {
  readonly answer: Promise<PluginAnswer>;
  /** Set once the answer is in (an answer being fetched never expires). */
  expiresAt: number;
  /** Per-cluster entries the answer holds, set once it is in. */
  size: number;
}

function answerSize(answer: PluginAnswer): number {
  if ('verdicts' in answer) return Object.keys(answer.verdicts).length;
  if ('scores' in answer) return Object.keys(answer.scores).length;
  return 0;
}

/**
 * Answers by (policy, plugin definition, object uid and generation, workspace,
 * cluster fingerprint). Concurrent decisions for the same key share one
 * request. A failed answer is kept briefly too, so a plugin that is down is
 * not hammered by every probe while failurePolicy holds the decision; and a
 * plugin that could not be reached at all is not asked about any other
 * object for that while either, so a thousand objects do not each wait out
 * its timeout and hold every placement worker.
 */
export class PluginAnswerCache {
  readonly #entries = new Map<string, Entry>();
  #clusterEntries = 0;
  /** Plugins (by definition) found unreachable, until when, with the error they gave. */
  readonly #unreachable = new Map<string, { readonly until: number; readonly answer: PluginAnswer }>();

  constructor(
    private readonly ask: (ref: ExternalPluginRef, input: PolicyEngineInput) => Promise<PluginAnswer> = askPlugin,
    private readonly maxEntries = MAX_CACHED_ANSWERS,
    private readonly maxClusterEntries = MAX_CACHED_CLUSTER_ENTRIES,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Asks every plugin of the policy (in parallel), from the cache where it can. */
  async askAll(
    policy: string,
    plugins: readonly ExternalPluginRef[],
    object: { readonly uid?: string; readonly generation?: number },
    input: PolicyEngineInput,
    now: number,
  ): Promise<{ answers: Record<string, PluginAnswer>; expiresInMs: number | undefined }> {
    const subject = `${object.uid ?? ''}/${object.generation ?? 0}|${digest(JSON.stringify(input.workspace ?? null))}|${clusterFingerprint(input.clusters as Cluster[])}`;
    const results = await Promise.all(
      plugins.map((p) => {
        const plugin = digest(JSON.stringify(p));
        return this.get(`${policy}|${plugin}|${subject}`, p, input, now, plugin);
      }),
    );
    const answers: Record<string, PluginAnswer> = {};
    let expiresInMs: number | undefined;
    plugins.forEach((p, i) => {
      answers[p.name] = results[i]!.answer;
      const e = results[i]!.expiresInMs;
      if (e !== undefined && (expiresInMs === undefined || e < expiresInMs)) expiresInMs = e;
    });
    return { answers, expiresInMs };
  }

  async get(key: string, ref: ExternalPluginRef, input: PolicyEngineInput, now: number, plugin: string = key): Promise<CachedAsk> {
    const hit = this.#entries.get(key);
    if (hit && (hit.expiresAt === Infinity || hit.expiresAt > now)) {
      const answer = await hit.answer;
      return { answer, expiresInMs: hit.expiresAt === Infinity ? undefined : Math.max(1, hit.expiresAt - now) };
    }
    if (hit) this.#delete(key, hit);
    const down = this.#unreachable.get(plugin);
    if (down && down.until > now) return { answer: down.answer, expiresInMs: down.until - now };
    if (down) this.#unreachable.delete(plugin);
    this.#evict(now);
    const entry: Entry = { answer: this.ask(ref, input), expiresAt: Infinity, size: 0 };
    this.#entries.set(key, entry);
    const answer = await entry.answer;
    const ttl = (ref.cacheSeconds ?? DEFAULT_PLUGIN_CACHE_SECONDS) * 1000;
    const keep = 'error' in answer ? Math.min(ttl, FAILURE_CACHE_MS) : ttl;
    if ('error' in answer && answer.unreachable) {
      // The same error text as the first object got, so the others' conditions do not flap between messages.
      if (this.#unreachable.size >= this.maxEntries) this.#unreachable.clear();
      this.#unreachable.set(plugin, { until: now + FAILURE_CACHE_MS, answer });
    }
    if (keep <= 0) {
      if (this.#entries.get(key) === entry) this.#delete(key, entry);
      return { answer, expiresInMs: 'error' in answer ? FAILURE_CACHE_MS : undefined };
    }
    entry.expiresAt = now + keep;
    if (this.#entries.get(key) === entry) {
      entry.size = answerSize(answer);
      this.#clusterEntries += entry.size;
    }
    return { answer, expiresInMs: keep };
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#clusterEntries -= entry.size;
  }

  #full(): boolean {
    return this.#entries.size >= this.maxEntries || this.#clusterEntries >= this.maxClusterEntries;
  }

  /** Drops expired answers, then the oldest while the cache is full; answers still being fetched stay. */
  #evict(now: number): void {
    if (!this.#full()) return;
    for (const [key, e] of this.#entries) if (e.expiresAt <= now) this.#delete(key, e);
    for (const [key, e] of this.#entries) {
      if (!this.#full()) break;
      if (e.expiresAt !== Infinity) this.#delete(key, e);
    }
  }
}
