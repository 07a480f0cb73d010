import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot, waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../test/e2e/env.js';
import { ApiClient } from './http.js';
import { LeaderElector } from './leader.js';
import { silentLogger } from './logger.js';
import type { KubeObject } from './object.js';
import { Resources } from './resources.js';

interface Operator {
  readonly identity: string;
  readonly child: ChildProcess;
  readonly lines: Array<{ msg?: string; [k: string]: unknown }>;
  readonly exited: Promise<number | null>;
}

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseTransitions?: number };
}

describe('Leader election across two operator processes (real apiserver)', function () {
  this.timeout(300_000);
  let admin: ApiClient;
  let namespace: string;
  const operators: Operator[] = [];

  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    namespace = uniqueName('leader');
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });

  after(async () => {
    for (const op of operators) if (op.child.exitCode === null && op.child.signalCode === null) op.child.kill('SIGKILL');
    await Promise.all(operators.map((op) => op.exited));
    await admin.delete(Resources.Namespace, namespace).catch(() => undefined);
    admin.close();
  });

  function startOperator(identity: string): Operator {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'support', 'leader-operator.ts')], {
      cwd: repoRoot,
      env: { ...process.env, KUBECONFIG: testEnv().host.kubeconfigPath, CANOPY_NAMESPACE: namespace, TEST_IDENTITY: identity },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Operator['lines'] = [];
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        try {
          lines.push(JSON.parse(line) as Operator['lines'][number]);
        } catch {
          lines.push({ msg: line });
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => lines.push({ msg: `stderr: ${chunk.toString()}` }));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const op = { identity, child, lines, exited };
    operators.push(op);
    return op;
  }

  const holder = async () => (await admin.tryGet<Lease>(Resources.Lease, 'leader-e2e', namespace))?.spec?.holderIdentity;
  const stamps = (op: Operator) => op.lines.filter((l) => l.msg === 'stamping').length;
  const ready = async (op: Operator) => {
    const port = op.lines.find((l) => l.msg === 'manager started')?.healthPort as number | undefined;
    if (!port) return false;
    return (
      (await fetch(`http://127.0.0.1:${port}/readyz`)
        .then((r) => r.status)
        .catch(() => 0)) === 200
    );
  };
  async function stampedBy(name: string): Promise<string | undefined> {
    await admin.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'leader-test': 'yes' } } });
    let by: string | undefined;
    await waitUntil(60_000, 100, async () => {
      by = (await admin.get(Resources.ConfigMap, name, namespace)).metadata?.annotations?.['reconciled-by'];
      return by !== undefined;
    });
    return by;
  }

  it('one process leads and reconciles; the standby takes over after kill -9 and after SIGTERM', async () => {
    const a = startOperator('replica-a');
    expect(await waitUntil(60_000, 100, async () => (await holder()) === 'replica-a'), 'A acquires the lease').to.equal(true);
    const b = startOperator('replica-b');
    expect(await waitUntil(60_000, 100, () => ready(b)), 'the standby is ready (caches synced) without leading').to.equal(true);
    expect(await stampedBy('first')).to.equal('replica-a');
    expect(stamps(b), 'the standby reconciles nothing').to.equal(0);
    const said = (op: Operator, msg: string) => op.lines.some((l) => l.msg === msg);
    expect(said(a, 'leader-only runnable started') && said(a, 'every-replica runnable started')).to.equal(true);
    expect(said(b, 'every-replica runnable started'), 'runnables without leader election run on the standby').to.equal(true);
    expect(said(b, 'leader-only runnable started'), 'leader-only runnables wait for leadership').to.equal(false);

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await a.exited;
    expect(await waitUntil(120_000, 100, async () => (await holder()) === 'replica-b'), 'B takes over after the lease expires').to.equal(true);
    const killTakeoverMs = Date.now() - killedAt;
    expect(await stampedBy('second')).to.equal('replica-b');
    expect(await waitUntil(30_000, 50, () => said(b, 'leader-only runnable started'))).to.equal(true);

    const c = startOperator('replica-c');
    expect(await waitUntil(60_000, 100, () => ready(c))).to.equal(true);
    const termAt = Date.now();
    b.child.kill('SIGTERM');
    expect(await b.exited, 'graceful shutdown exits 0').to.equal(0);
    expect(b.lines.some((l) => l.msg === 'released leadership')).to.equal(true);
    expect(await waitUntil(120_000, 50, async () => (await holder()) === 'replica-c'), 'C takes over the released lease').to.equal(true);
    const termTakeoverMs = Date.now() - termAt;
    expect(await stampedBy('third')).to.equal('replica-c');
    expect(stamps(c)).to.be.at.least(1);
    const lease = await admin.get<Lease>(Resources.Lease, 'leader-e2e', namespace);
    expect(lease.spec?.leaseTransitions).to.equal(2);
    console.log(
      `      takeover after kill -9: ${killTakeoverMs} ms (lease 15 s, retry 2 s); after SIGTERM: ${termTakeoverMs} ms (includes the leader's graceful stop)`,
    );
    c.child.kill('SIGTERM');
    expect(await c.exited).to.equal(0);
  });

  it('releases the lease on shutdown even when the copy it holds is stale (a renewal answered after the abort, or another writer)', async () => {
    const client = new ApiClient(testEnv().host.kubeConfig());
    const elector = new LeaderElector(
      client,
      namespace,
      { identity: 'stale-copy', leaseName: 'leader-release', leaseDurationMs: 60_000, renewDeadlineMs: 30_000, retryPeriodMs: 20_000 },
      silentLogger(),
    );
    const stop = new AbortController();
    const running = elector.run(stop.signal);
    try {
      expect(await waitUntil(30_000, 50, async () => elector.isLeader)).to.equal(true);
      // Someone else writes the Lease (kubectl annotate, say): the resourceVersion the elector holds is stale now.
      await admin.patch(Resources.Lease, 'leader-release', namespace, { metadata: { annotations: { 'example.com/touched': 'yes' } } }, 'merge');
      stop.abort();
      expect(await running).to.equal('stopped');
      await elector.release();
      const lease = await admin.get<Lease>(Resources.Lease, 'leader-release', namespace);
      expect(lease.spec?.holderIdentity ?? '', 'released despite the conflict').to.equal('');
    } finally {
      stop.abort();
      client.close();
    }
  });
});
