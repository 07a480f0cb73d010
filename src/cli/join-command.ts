import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../runtime/object.js';
import { Resources } from '../runtime/resources.js';
import type { Cluster } from '../crds/cluster.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../crds/labels.js';
import { CliError, isNotFoundError } from './errors.js';
import { joinObjects, SYSTEM_NAMESPACE } from './join.js';
import type { JoinFlags } from './main.js';
import { withSession, type GlobalOptions, type Session } from './session.js';

type ClusterObject = Cluster & KubeObject;

const readyOf = (c: ClusterObject | undefined) => c?.status?.conditions?.find((x) => x.type === 'Ready');

/**
 * `join`: the Secret, then the Cluster (the operator probes it as soon as it
 * exists), then a wait for Ready. A failed Cluster create takes its Secret
 * back, so a refused join leaves nothing behind.
 */
export async function runJoin(options: GlobalOptions, name: string, flags: JoinFlags, progress: (line: string) => void): Promise<{ text: string }> {
  const timeoutSeconds = Number(flags.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) throw new CliError(`--timeout "${flags.timeout}" is not a whole number of seconds`);
  let text: string;
  try {
    text = readFileSync(flags.kubeconfigFile, 'utf8');
  } catch {
    throw new CliError(`--kubeconfig-file ${flags.kubeconfigFile} cannot be read`);
  }
  const { secret, cluster } = joinObjects({
    name,
    kubeconfig: text,
    region: flags.region,
    provider: flags.provider,
    labels: flags.labels,
    context: flags.clusterContext,
  });
  return withSession(options, async (session) => {
    if (await session.client.tryGet(Resources.Cluster, name)) throw new CliError(`cluster ${name} is already registered`);
    if (await session.client.tryGet(Resources.Secret, secret.metadata!.name!, SYSTEM_NAMESPACE)) {
      throw new CliError(`Secret ${SYSTEM_NAMESPACE}/${secret.metadata!.name} already exists: remove it, or join under another name`);
    }
    try {
      await session.client.create(Resources.Secret, secret);
    } catch (err) {
      if (isNotFoundError(err)) throw new CliError(`namespace ${SYSTEM_NAMESPACE} does not exist: is Canopy installed on this cluster?`);
      throw err;
    }
    try {
      await session.client.create(Resources.Cluster, cluster);
    } catch (err) {
      await session.client.delete(Resources.Secret, secret.metadata!.name!, SYSTEM_NAMESPACE).catch(() => undefined);
      throw err;
    }
    progress(`cluster ${name} registered (Secret ${SYSTEM_NAMESPACE}/${secret.metadata!.name}); waiting up to ${timeoutSeconds}s for Ready`);
    if (timeoutSeconds === 0) return { text: `cluster ${name} registered\n` };
    const ready = await waitReady(session, name, timeoutSeconds * 1000);
    return { text: `cluster ${name} joined: ${ready}\n` };
  });
}

async function waitReady(session: Session, name: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: ClusterObject | undefined;
  for (;;) {
    last = await session.client.tryGet<ClusterObject>(Resources.Cluster, name);
    const ready = readyOf(last);
    if (ready?.status === 'True') return ready.message || 'Ready';
    if (Date.now() >= deadline) {
      const why = ready ? `${ready.reason}: ${ready.message}` : 'the operator has not probed it yet (is it running?)';
      throw new CliError(`cluster ${name} is not Ready after ${timeoutMs / 1000}s (${why}); it stays registered: kubectl canopy unjoin ${name} removes it`);
    }
    await sleep(1000);
  }
}

/** `unjoin`: the Cluster, and its Secret when join created it (labelled as Canopy's); another Secret is the admin's and stays. */
export async function runUnjoin(options: GlobalOptions, name: string): Promise<string> {
  return withSession(options, async (session) => {
    const cluster = await session.client.tryGet<ClusterObject>(Resources.Cluster, name);
    if (!cluster) throw new CliError(`cluster ${name} not found`);
    await session.client.delete(Resources.Cluster, name);
    const ref = cluster.spec.kubeconfigSecretRef;
    const secret = await session.client.tryGet(Resources.Secret, ref.name, ref.namespace);
    if (secret?.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) {
      await session.client.delete(Resources.Secret, ref.name, ref.namespace);
      return `cluster ${name} unjoined (Cluster and Secret ${ref.namespace}/${ref.name} deleted)\n`;
    }
    return `cluster ${name} unjoined (Cluster deleted; Secret ${ref.namespace}/${ref.name} is not Canopy's and was kept)\n`;
  });
}
