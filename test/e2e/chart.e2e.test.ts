import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { ensureTool, repoRoot } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from './env.js';
import { hostAdmin } from './wait.js';
import { Resources } from '../../src/controllers/index.js';

const run = promisify(execFile);

interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { replicas?: number; template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } };
}

/** kubectl apply --dry-run=server of a document stream, through stdin. */
function dryRunApply(kubectl: string, kubeconfig: string, manifest: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, ['--kubeconfig', kubeconfig, 'apply', '--dry-run=server', '-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl apply --dry-run=server failed (${code}): ${err}`))));
    child.stdin.end(manifest);
  });
}

describe('Helm chart (e2e)', () => {
  const namespace = uniqueName('canopy-chart');
  let helm = '';

  before(async function () {
    this.timeout(15 * 60_000); // helm is built on first use (minutes on a cold Go cache)
    helm = await ensureTool('helm', { quiet: true });
    await hostAdmin().create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });
  after(async () => {
    await hostAdmin().delete(Resources.Namespace, namespace).catch(() => undefined);
  });

  it('renders with helm and every object passes the real apiserver (server-side dry run)', async () => {
    const env = testEnv();
    const { stdout } = await run(helm, ['template', 'canopy', join(repoRoot, 'charts', 'canopy'), '--namespace', namespace, '--include-crds', '--kube-version', 'v1.35.4']);
    const objects = parseAllDocuments(stdout).map((d) => d.toJSON() as Rendered | null).filter((o): o is Rendered => o !== null);
    const kinds = objects.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'CustomResourceDefinition')).to.have.length(5);
    for (const kind of ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'Service', 'PodDisruptionBudget']) expect(kinds, kind).to.include(kind);

    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec?.replicas).to.equal(2);
    const env0 = Object.fromEntries((deployment.spec?.template?.spec?.containers?.[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env0['CANOPY_LEADER_ELECT']).to.equal('true');
    expect(env0['CANOPY_LEASE_DURATION']).to.equal('15s');
    // What the operator writes for itself is owned by a ClusterRole the release installs (and uninstall deletes).
    const clusterRoles = objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata?.name);
    expect(clusterRoles).to.include(env0['CANOPY_OWNER_CLUSTERROLE']);

    const applied = await dryRunApply(join(env.binDir, 'kubectl'), env.host.kubeconfigPath, stdout);
    expect(applied.trim().split('\n')).to.have.length(objects.length);
  });

  it('lints clean', async () => {
    const { stdout } = await run(helm, ['lint', join(repoRoot, 'charts', 'canopy')]);
    expect(stdout).to.contain('0 chart(s) failed');
  });
});
