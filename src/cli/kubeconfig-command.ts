import { chmodSync, writeFileSync } from 'node:fs';
import type { KubeObject } from '../runtime/object.js';
import { Resources } from '../runtime/resources.js';
import type { LogicalCluster } from '../crds/logicalcluster.js';
import { CliError, isNotFoundError } from './errors.js';
import { withSession, type GlobalOptions } from './session.js';

type LC = LogicalCluster & KubeObject;

/**
 * Why a logical cluster has no kubeconfig to hand out yet, or undefined when
 * it has one: only a Ready logical cluster's kubeconfig is current.
 */
export function notReadyReason(lc: LC): string | undefined {
  const phase = lc.status?.phase ?? 'Pending';
  if (phase === 'Ready' && lc.status?.kubeconfigSecretRef) return undefined;
  const ready = lc.status?.conditions?.find((c) => c.type === 'Ready');
  const why = ready && ready.status !== 'True' ? `: ${ready.reason}${ready.message ? ` (${ready.message})` : ''}` : '';
  if (phase === 'Ready') return `logical cluster ${lc.metadata.name} is Ready but names no kubeconfig Secret yet`;
  return `logical cluster ${lc.metadata.name} is ${phase}, not Ready${why}; its kubeconfig is issued once it is Ready`;
}

/** `kubeconfig <logical-cluster> [--write FILE]`: the tenant kubeconfig from the Secret the status names. */
export async function runKubeconfig(options: GlobalOptions, name: string, file: string | undefined): Promise<{ text: string; note?: string }> {
  return withSession(options, async (session) => {
    let lc: LC;
    try {
      lc = await session.client.get<LC>(Resources.LogicalCluster, name);
    } catch (err) {
      if (isNotFoundError(err)) throw new CliError(`logical cluster ${name} not found`);
      throw err;
    }
    const problem = notReadyReason(lc);
    if (problem) throw new CliError(problem);
    const ref = lc.status!.kubeconfigSecretRef!;
    const key = ref.key ?? 'kubeconfig';
    let secret: KubeObject & { data?: Record<string, string> };
    try {
      secret = await session.client.get(Resources.Secret, ref.name, ref.namespace);
    } catch (err) {
      if (isNotFoundError(err))
        throw new CliError(`logical cluster ${name} names Secret ${ref.namespace}/${ref.name}, which does not exist (yet): try again in a moment`);
      throw err;
    }
    const encoded = secret.data?.[key];
    if (!encoded) throw new CliError(`Secret ${ref.namespace}/${ref.name} has no key ${key}`);
    const kubeconfig = Buffer.from(encoded, 'base64').toString('utf8');
    if (!file) return { text: kubeconfig };
    // It holds a bearer token: readable by its owner only, also when the file existed before.
    writeFileSync(file, kubeconfig, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { text: '', note: `wrote the kubeconfig of logical cluster ${name} to ${file}` };
  });
}
