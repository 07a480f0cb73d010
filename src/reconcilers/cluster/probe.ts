import { request, type RequestOptions } from 'node:https';
import type { KubeConfigSource } from '../../runtime/kubeconfig.js';
import { classifyProbeFailure, type ProbeOutcome } from './health.js';

const PROBE_TIMEOUT_MS = 5000;

interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * GET a path on a member with the credentials and CA of its kubeconfig. Its
 * own small client, not the pooled one: a health probe must see the raw TLS
 * and socket errors (to tell a wrong CA from a dead host) and must never wait
 * behind a busy keep-alive pool.
 */
async function rawGet(kubeConfig: KubeConfigSource, path: string, accept = 'application/json'): Promise<RawResponse> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw Object.assign(new Error('the kubeconfig has no current cluster'), { code: 'ENOSERVER' });
  const options: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server), {
      ...options,
      method: 'GET',
      headers: { ...options.headers, Accept: accept },
      agent: false,
      timeout: PROBE_TIMEOUT_MS,
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000}s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** /readyz then /version; the outcome names why a cluster is not usable. */
export async function probeCluster(kubeConfig: KubeConfigSource): Promise<ProbeOutcome> {
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no server)';
  try {
    const ready = await rawGet(kubeConfig, '/readyz', 'text/plain');
    if (ready.status !== 200) return classifyProbeFailure(server, ready);
    const version = await rawGet(kubeConfig, '/version');
    if (version.status !== 200) return classifyProbeFailure(server, version);
    return { ok: true, version: (JSON.parse(version.body) as { gitVersion?: string }).gitVersion ?? 'unknown' };
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    return classifyProbeFailure(server, { code: error.code, message: error.message });
  }
}

interface DiscoveryGroupList {
  readonly items?: readonly {
    readonly metadata?: { readonly name?: string };
    readonly versions?: readonly {
      readonly version: string;
      readonly resources?: readonly { readonly responseKind?: { readonly kind?: string }; readonly resource: string }[];
    }[];
  }[];
}

const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/**
 * The kinds a member serves, per groupVersion, from aggregated discovery
 * (two requests for the whole API surface instead of one per group).
 */
export async function discoverApis(kubeConfig: KubeConfigSource): Promise<{ groupVersion: string; resources: string[] }[]> {
  const result: { groupVersion: string; resources: string[] }[] = [];
  for (const path of ['/api', '/apis']) {
    const res = await rawGet(kubeConfig, path, AGGREGATED_DISCOVERY);
    if (res.status !== 200) throw new Error(`discovery ${path} answered ${res.status}`);
    const list = JSON.parse(res.body) as DiscoveryGroupList;
    for (const group of list.items ?? []) {
      for (const version of group.versions ?? []) {
        const groupVersion = group.metadata?.name ? `${group.metadata.name}/${version.version}` : version.version;
        const kinds = [...new Set((version.resources ?? []).map((r) => r.responseKind?.kind).filter((k): k is string => !!k))].sort();
        result.push({ groupVersion, resources: kinds });
      }
    }
  }
  return result.sort((a, b) => a.groupVersion.localeCompare(b.groupVersion));
}

/** Nodes of the member, for allocatable (an empty list where it has none). */
export async function listNodes(kubeConfig: KubeConfigSource): Promise<{ status?: { allocatable?: Record<string, string> } }[]> {
  const res = await rawGet(kubeConfig, '/api/v1/nodes');
  if (res.status !== 200) return [];
  return (JSON.parse(res.body) as { items?: { status?: { allocatable?: Record<string, string> } }[] }).items ?? [];
}
