/**
 * What a piece of work cost the control plane, not only how long it took: a
 * kube-apiserver's own request counters, and the CPU its processes used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ClusterHandle, LocalEnvironment } from '../controlplane/launcher/index.js';

/** CPU seconds (user + system) of a process and all its descendants, from /proc. */
export function treeCpuSeconds(pid: number): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) visit(Number(child));
      }
    } catch {
      // the process ended meanwhile
    }
  };
  visit(pid);
  return total;
}

/** The control plane's CPU seconds so far (kube-apiservers and etcd). */
export function controlPlaneCpu(env: LocalEnvironment): number {
  return env.processIds.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
}

/** apiserver_request_total summed by "VERB resource[/subresource]" (watches and discovery left out). */
export async function requestCounts(cluster: ClusterHandle): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await cluster.metricsText()).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([^"]+)"/.exec(line)?.[1] ?? '';
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const sub = /subresource="([^"]*)"/.exec(line)?.[1] ?? '';
    if (verb === 'WATCH' || (verb === 'LIST' && resource === '')) continue;
    const key = `${verb} ${resource}${sub ? `/${sub}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** Requests per object between two snapshots, leaving out kinds under 5 % of an object (background noise). */
export function perObject(before: Map<string, number>, after: Map<string, number>, count: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta >= count / 20) out[key] = Number((delta / count).toFixed(2));
  }
  return out;
}
