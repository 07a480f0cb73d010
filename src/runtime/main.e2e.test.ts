import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { LocalEnvironment, repoRoot, waitUntil } from '../../controlplane/launcher/index.js';
import { installCrds } from '../dev/manifests.js';
import { ApiClient } from './http.js';
import { metricValue } from './metrics-text.js';
import type { KubeObject } from './object.js';
import { Resources } from './resources.js';

/**
 * The operator entry point (src/main.ts) with every registered feature, on a
 * private control plane so its controllers touch no other test's objects.
 */
describe('operator process (src/main.ts, private control plane)', function () {
  this.timeout(300_000);
  let env: LocalEnvironment;

  before(async function () {
    this.timeout(300_000);
    env = await LocalEnvironment.start({ members: [], controllerManager: false, quiet: true });
    await installCrds(env.host.kubeConfig(), join(repoRoot, 'config', 'crd'));
  });

  after(async function () {
    this.timeout(120_000);
    await env?.stop();
  });

  it('starts from KUBECONFIG and env settings, serves probes and metrics, and exits 0 on SIGTERM after releasing its lease', async () => {
    const client = new ApiClient(env.host.kubeConfig());
    await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'canopy-system' } });
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'main.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        KUBECONFIG: env.host.kubeconfigPath,
        CANOPY_METRICS_PORT: '0',
        CANOPY_HEALTH_PORT: '0',
        CANOPY_BIND_ADDRESS: '127.0.0.1',
        CANOPY_RETRY_PERIOD: '1s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        try {
          if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // partial line at a chunk boundary: only whole JSON lines matter here
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      expect(await waitUntil(60_000, 100, () => lines.some((l) => l.msg === 'manager started')), `no start line; stderr: ${stderr.slice(-2000)}`).to.equal(
        true,
      );
      const started = lines.find((l) => l.msg === 'manager started')!;
      const health = started.healthPort as number;
      const metrics = started.metricsPort as number;
      const readyz = async () => fetch(`http://127.0.0.1:${health}/readyz`).then(async (r) => ({ status: r.status, body: await r.text() }));
      const becameReady = await waitUntil(120_000, 250, async () => (await readyz()).status === 200);
      expect(becameReady, `readyz: ${(await readyz()).body}`).to.equal(true);
      expect(
        await waitUntil(
          30_000,
          100,
          async () => metricValue(await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text(), 'leader_election_master_status') === 1,
        ),
      ).to.equal(true);
      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      const controllers = [...text.matchAll(/^controller_runtime_max_concurrent_reconciles\{controller="([^"]+)"\}/gm)].map((m) => m[1]);
      console.log(`      controllers running: ${controllers.join(', ') || '(none registered)'}`);
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      const lease = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(Resources.Lease, 'canopy-leader', 'canopy-system');
      expect(lease.spec?.holderIdentity ?? '').to.equal('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      client.close();
    }
  });
});
