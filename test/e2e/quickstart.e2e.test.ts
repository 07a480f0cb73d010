import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot, waitUntil } from '../../controlplane/launcher/index.js';
import { ApiClient, Resources, type KubeObject } from '../../src/runtime/index.js';
import type { PropagatedObject } from '../../src/crds/propagatedobject.js';
import { quickstartCommands } from '../../src/dev/readme-commands.js';
import { testEnv } from './env.js';
import { hostAdmin, objectWhen } from './wait.js';

const run = promisify(execFile);
type PO = PropagatedObject & KubeObject;
type PodView = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };

/** Runs one README line the way a user's shell would: bash, repo root, the built kubectl first on PATH, the host's kubeconfig. */
async function shell(command: string): Promise<string> {
  const env = testEnv();
  const { stdout } = await run('bash', ['-c', command], {
    cwd: repoRoot,
    env: { ...process.env, PATH: `${env.binDir}:${process.env.PATH ?? ''}`, KUBECONFIG: env.host.kubeconfigPath },
  });
  return stdout;
}

/**
 * examples/quickstart/README.md, as written: its `kubectl` lines run in order
 * against the shared environment, and the Deployment it places ends Ready with
 * all its replicas Ready on the members, pods scheduled by kube-scheduler onto
 * the members' kwok Nodes.
 */
describe('quickstart: the README commands end with the Deployment Ready (e2e)', function () {
  this.timeout(180_000);
  const commands = quickstartCommands();
  const applied = commands.filter((c) => c.startsWith('kubectl apply')).flatMap((c) => [...c.matchAll(/-f\s+(\S+)/g)].map((m) => m[1]!));

  after(async () => {
    // Undo in reverse order; what another suite made before is not ours to keep or delete, so this only removes the files' objects.
    for (const file of [...applied].reverse()) await shell(`kubectl delete --ignore-not-found --wait=false -f ${file}`).catch(() => undefined);
    await waitUntil(60_000, 500, async () => !(await hostAdmin().tryGet(Resources.LogicalCluster, 'team-a-dev')));
  });

  it('applies every quickstart file and waits for the Deployment, as the README says', async () => {
    expect(applied).to.deep.equal([
      'examples/quickstart/00-workspaces.yaml',
      'examples/quickstart/01-logicalcluster.yaml',
      'examples/quickstart/02-placementpolicy.yaml',
      'examples/quickstart/03-propagatedobject.yaml',
    ]);
    // Everything up to and including the workload's apply; the 60 s for it to be Ready start there.
    const applyWorkload = commands.findIndex((c) => c.startsWith('kubectl apply') && c.includes('03-propagatedobject'));
    for (const command of commands.slice(0, applyWorkload + 1)) await shell(command);
    const po = await objectWhen<PO>(
      Resources.PropagatedObject,
      'web',
      'team-a-dev-apps',
      (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && p.status?.readyReplicas === 4,
      'Ready with 4/4 replicas Ready',
      60_000,
    );
    expect(po.status?.replicas).to.equal(4);
    const placed = (po.status?.placement ?? []).map((p) => p.cluster).sort();
    expect(placed).to.deep.equal(['eu-1', 'eu-2']);
    expect((po.status?.clusters ?? []).reduce((n, c) => n + (c.readyReplicas ?? 0), 0)).to.equal(4);

    // The README's remaining kubectl lines (the wait, the listing) succeed as well.
    for (const command of commands.slice(applyWorkload + 1)) await shell(command);

    // Real pods: bound by kube-scheduler to the member's own Nodes, Running and Ready by kwok.
    let pods = 0;
    for (const cluster of placed) {
      const list = await ApiClient.for(testEnv().cluster(cluster).kubeConfig()).list<PodView>(Resources.Pod, { namespace: 'team-a-dev-apps' });
      for (const pod of list.items) {
        expect(pod.spec?.nodeName).to.match(new RegExp(`^${cluster}-node-\\d+$`));
        expect(pod.status?.phase).to.equal('Running');
        expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
        pods++;
      }
    }
    expect(pods).to.equal(4);
  });
});
