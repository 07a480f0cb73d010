import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../test/e2e/env.js';
import { ApiClient, Resources } from '../controllers/index.js';

const run = promisify(execFile);

/** The plugin binary as kubectl would run it, against the real host. */
async function kubectlCanopy(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(repoRoot, 'bin', 'kubectl-canopy.js'), '--kubeconfig', testEnv().host.kubeconfigPath, ...args]);
  return stdout;
}

describe('kubectl-canopy (e2e)', () => {
  const root = uniqueName('cli-org');
  const child = `${root}-team`;
  const admin = () => ApiClient.for(testEnv().host.kubeConfig());

  before(async () => {
    await admin().create(Resources.Workspace, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: root }, spec: {} } as never);
    await admin().create(Resources.Workspace, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: child }, spec: { parent: root } } as never);
  });
  after(async () => {
    await admin().delete(Resources.Workspace, child).catch(() => undefined);
    await admin().delete(Resources.Workspace, root).catch(() => undefined);
  });

  it('tree prints a real workspace subtree', async () => {
    const out = await kubectlCanopy('tree', root);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).to.match(new RegExp(`^${root}`));
    expect(lines[1]).to.match(new RegExp(`^└── ${child}`));
  });

  it('explain says plainly when nothing is placed under that name', async () => {
    expect(await kubectlCanopy('explain', 'no-such-app', '-n', 'default')).to.contain('nothing placed as default/no-such-app');
  });
});
