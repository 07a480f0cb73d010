import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PolicyEngineDecision, PolicyEngineRef } from './types.js';

/** What the engine is asked: the OPA data-API input document. */
export interface PolicyEngineInput {
  readonly object: unknown;
  readonly clusters: readonly unknown[];
  readonly workspace: unknown;
}

const MAX_RESPONSE_BYTES = 1 << 20;

/**
 * Parses an OPA data-API answer, `{result: {clusters: {name: {weight}}}}`
 * (a list of names is accepted as well). Anything else is an error, never
 * "allow all": the caller's failurePolicy decides what an error means.
 */
export function parseDecision(body: string): PolicyEngineDecision {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { error: 'the answer is not JSON' };
  }
  const result = (parsed as { result?: unknown } | null)?.result;
  if (result === undefined) return { error: 'the answer has no "result" (is the policy path right? OPA answers {} for an undefined document)' };
  const clusters = (result as { clusters?: unknown } | null)?.clusters;
  if (Array.isArray(clusters)) {
    if (!clusters.every((c) => typeof c === 'string')) return { error: 'result.clusters must list cluster names' };
    return { allowed: [...clusters].sort() };
  }
  if (clusters === null || typeof clusters !== 'object') return { error: 'result.clusters must be an object {name: {weight}} or a list of names' };
  const weights: Record<string, number> = {};
  for (const [name, value] of Object.entries(clusters as Record<string, unknown>)) {
    const weight = (value as { weight?: unknown } | null)?.weight;
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)) {
      return { error: `result.clusters.${name}.weight must be a non-negative number` };
    }
    weights[name] = typeof weight === 'number' ? weight : 1;
  }
  return { allowed: Object.keys(weights).sort(), weights };
}

/** Asks the external policy engine; a timeout, transport error or bad answer comes back as `{error}`. */
export function askPolicyEngine(ref: PolicyEngineRef & { readonly caBundle?: string }, input: PolicyEngineInput): Promise<PolicyEngineDecision> {
  const timeoutMs = (ref.timeoutSeconds ?? 5) * 1000;
  const payload = Buffer.from(JSON.stringify({ input }));
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(ref.url);
    } catch {
      resolve({ error: `invalid url ${ref.url}` });
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const ca = ref.caBundle ? Buffer.from(ref.caBundle, 'base64').toString('utf8') : undefined;
    const req = send(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) },
      timeout: timeoutMs,
      ...(ca ? { ca } : {}),
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    // The socket timeout above only fires when nothing arrives; an engine dripping a byte at a time
    // would never trip it, so the whole exchange has a deadline too.
    const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${timeoutMs / 1000}s`)), timeoutMs);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (err) => resolve({ error: err.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('answer larger than 1 MiB'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) resolve({ error: `HTTP ${status}` });
        else resolve(parseDecision(Buffer.concat(chunks).toString('utf8')));
      });
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.end(payload);
  });
}
