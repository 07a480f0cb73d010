/**
 * Reaching a local environment's etcd directly, for faults the apiserver
 * cannot be asked for: compacting history so that every watch resumes into
 * 410 Gone.
 */
import { readFileSync } from 'node:fs';
import type { LocalEnvironment } from '../../controlplane/launcher/index.js';

/** The etcd URL the host apiserver was started with (read from its command line). */
export function etcdUrlOf(env: LocalEnvironment): string {
  const pid = env.host.processIds[0]!;
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const flag = args.find((a) => a.startsWith('--etcd-servers='));
  if (!flag) throw new Error('kube-apiserver has no --etcd-servers flag');
  return flag.slice('--etcd-servers='.length).split(',')[0]!;
}

/** Moves etcd's revision with a key outside Kubernetes' prefixes and compacts all history up to it. */
export async function compactEtcd(etcdUrl: string): Promise<number> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const put = await fetch(`${etcdUrl}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: b64('/canopy-test/revision-bump'), value: b64(String(Date.now())) }),
  });
  const revision = Number(((await put.json()) as { header: { revision: string } }).header.revision);
  const compact = await fetch(`${etcdUrl}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) });
  if (!compact.ok) throw new Error(`etcd compaction failed: ${compact.status} ${await compact.text()}`);
  return revision;
}
