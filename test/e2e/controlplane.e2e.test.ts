import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiException, CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { expect } from 'chai';
import { LaunchError, LocalEnvironment, repoRoot } from '../../controlplane/launcher/index.js';
import { freePort } from '../../controlplane/launcher/ports.js';
import { testEnv, uniqueName } from './env.js';

const run = promisify(execFile);

/** PIDs of processes whose command line mentions the path. */
async function processesUsing(path: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((line) => line.includes(path) && !line.includes('ps -eo'));
}

describe('local control plane', () => {
  it('serves a real kube-apiserver on every cluster', async () => {
    for (const cluster of testEnv().clusters) {
      const version = await cluster.kubeConfig().makeApiClient(VersionApi).getCode();
      expect(version.gitVersion, cluster.name).to.match(/^v1\.\d+\.\d+$/);
      expect(version.major).to.equal('1');
    }
  });

  it('keeps clusters apart: a namespace on one member is absent on the others', async () => {
    const [first, second] = testEnv().members;
    const name = uniqueName('isolation');
    await first!
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name } } });
    try {
      const error = await second!
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .readNamespace({ name })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(ApiException);
      expect((error as ApiException<unknown>).code).to.equal(404);
    } finally {
      await first!.kubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name });
    }
  });

  it('enforces RBAC: a user without bindings is denied with 403', async () => {
    const api = testEnv().host.userKubeConfig('alice').makeApiClient(CoreV1Api);
    const error = await api.listNamespace().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ApiException);
    expect((error as ApiException<unknown>).code).to.equal(403);
    const status = JSON.parse(String((error as ApiException<unknown>).body)) as { message: string };
    expect(status.message).to.contain('User "alice" cannot list resource "namespaces"');
  });

  it('accepts every CRD in config/crd with a server-side dry run via kubectl', async () => {
    const env = testEnv();
    const { stdout } = await run(join(env.binDir, 'kubectl'), [
      '--kubeconfig',
      env.host.kubeconfigPath,
      'apply',
      '--dry-run=server',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(repoRoot, 'config', 'crd'),
    ]);
    const applied = stdout
      .trim()
      .split('\n')
      .filter((l) => l.includes('customresourcedefinition'));
    expect(applied, stdout).to.have.length(6);
  });

  it('survives an apiserver restart with its data intact', async () => {
    const member = testEnv().members[0]!;
    const name = uniqueName('restart');
    const core = () => member.kubeConfig().makeApiClient(CoreV1Api);
    await core().createNamespace({ body: { metadata: { name } } });
    await member.restartApiServer();
    expect((await core().readNamespace({ name })).metadata?.name).to.equal(name);
    await core().deleteNamespace({ name });
  });
});

describe('local control plane: bad input', () => {
  it('fails with one clear line when the host port is taken, starting nothing', async () => {
    const port = await freePort();
    const blocker = (await import('node:net')).createServer().listen(port, '127.0.0.1');
    const stateDir = mkdtempSync(join(tmpdir(), 'canopy-badport-'));
    try {
      const error = await LocalEnvironment.start({ stateDir, hostPort: port, members: [], quiet: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(LaunchError);
      expect((error as Error).message)
        .to.contain(`port ${port}`)
        .and.to.contain('already in use');
      expect(await processesUsing(stateDir)).to.deep.equal([]);
    } finally {
      blocker.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('stops everything it started when a cluster never becomes ready', async function () {
    this.timeout(60_000);
    const stateDir = mkdtempSync(join(tmpdir(), 'canopy-notready-'));
    try {
      const error = await LocalEnvironment.start({ stateDir, members: [], readyTimeoutMs: 1, quiet: true, controllerManager: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(LaunchError);
      expect((error as Error).message).to.match(/cluster host did not become ready within/);
      expect(await processesUsing(stateDir)).to.deep.equal([]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('names the missing Go toolchain when a build is needed and Go is absent', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'canopy-nogo-'));
    try {
      const error = await run('bash', [join(repoRoot, 'controlplane', 'build.sh')], {
        env: { PATH: '/usr/bin:/bin', HOME: cacheDir, CANOPY_CACHE_DIR: cacheDir },
      }).then(
        () => undefined,
        (e: unknown) => e as { code: number; stderr: string },
      );
      expect(error?.code).to.equal(3);
      expect(error?.stderr.trim().split('\n')).to.have.length(1);
      expect(error?.stderr).to.contain('Go is not installed');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
