/**
 * The HTTP client under an apiserver that refuses work: its own cluster,
 * started with the classic max-in-flight filter at one request of each kind.
 * While one slow request holds the only slot, every other one is answered
 * 429 with Retry-After; the client must wait that long (not hammer the
 * apiserver) and still get every request through, creates included, each
 * exactly once. The requests run as alice (system:masters is exempt from the filter).
 */
import https from 'node:https';
import { expect } from 'chai';
import { LocalEnvironment, type ClusterHandle } from '../../controlplane/launcher/index.js';
import { ApiClient, type ThrottledRetry } from '../../src/runtime/http.js';
import { Resources } from '../../src/runtime/resources.js';
import { eventually } from '../support/propagation.js';

const NAMESPACE = 'throttled';

/** A request as alice without any retry: what the apiserver itself answers. */
function raw(cluster: ClusterHandle, method: string, path: string, body?: unknown): Promise<{ status: number; retryAfter: string | undefined; text: string }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(`${cluster.server}${path}`, {
      method,
      ca: cluster.caPem,
      agent: false,
      headers: { Authorization: `Bearer ${cluster.token('alice')}`, Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE, labels: { burst: 'yes' } } });

describe('HTTP client honours 429 Retry-After (apiserver with --max-requests-inflight=1)', function () {
  this.timeout(5 * 60_000);
  let env: LocalEnvironment;
  let cluster: ClusterHandle;
  let admin: ApiClient;

  before(async function () {
    this.timeout(5 * 60_000);
    env = await LocalEnvironment.start({
      members: [],
      controllerManager: false,
      quiet: true,
      apiServerArgs: ['--enable-priority-and-fairness=false', '--max-requests-inflight=1', '--max-mutating-requests-inflight=1'],
    });
    cluster = env.host;
    admin = new ApiClient(cluster.kubeConfig());
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await admin.create(Resources.Role, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'configmaps', namespace: NAMESPACE },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'delete', 'deletecollection'] }],
    } as never);
    await admin.create(Resources.RoleBinding, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'alice', namespace: NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmaps' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    } as never);
    await eventually('alice may list configmaps', async () =>
      (await raw(cluster, 'GET', `/api/v1/namespaces/${NAMESPACE}/configmaps`)).status === 200 ? true : undefined,
    );
  });

  after(async () => {
    admin?.close();
    await env?.stop();
  });

  it('reads: while a slow list holds the only slot the apiserver answers 429, and the client waits Retry-After and gets every read through', async () => {
    const path = `/api/v1/namespaces/${NAMESPACE}/configmaps`;
    // A list asking for a resourceVersion from the future waits (about 3 s) for the cache to catch up: it holds the read slot.
    const holding = raw(cluster, 'GET', `${path}?resourceVersion=999999999&resourceVersionMatch=NotOlderThan`);
    const refused = await eventually('the apiserver refusing reads', async () => {
      const answer = await raw(cluster, 'GET', path);
      return answer.status === 429 ? answer : undefined;
    });
    expect(refused.retryAfter, 'the apiserver says when to come back').to.equal('1');

    const throttled: ThrottledRetry[] = [];
    const alice = new ApiClient(cluster.userKubeConfig('alice'), { onThrottled: (r) => throttled.push(r) });
    try {
      const reads = await Promise.all(Array.from({ length: 20 }, () => alice.list(Resources.ConfigMap, { namespace: NAMESPACE })));
      expect(reads.map((page) => page.items.length)).to.deep.equal(new Array(20).fill(0));
    } finally {
      alice.close();
    }
    await holding;
    expect(throttled.length, 'the burst met the limit').to.be.at.least(20);
    for (const retry of throttled) {
      expect(retry.status).to.equal(429);
      expect(retry.retryAfterMs, 'Retry-After: 1').to.equal(1000);
      expect(retry.waitMs, 'never sooner than asked').to.be.at.least(retry.retryAfterMs);
    }
    console.log(`      ${throttled.length} throttled attempts, ${Math.max(...throttled.map((r) => r.attempt))} at most for one request`);
  });

  it('writes: creates refused with 429 while a delete-collection holds the only slot are sent again and each lands exactly once', async () => {
    // Enough objects that deleting them all keeps the one mutating slot busy for a while. How long "a while" is
    // depends on the machine: on a quiet one a delete-collection of a few hundred objects can finish before a probe
    // meets it, so the filler doubles until a probe is refused while the delete is still running.
    const path = `/api/v1/namespaces/${NAMESPACE}/configmaps`;
    let holding: ReturnType<typeof raw> | undefined;
    let refused: Awaited<ReturnType<typeof raw>> | undefined;
    for (let size = 600, round = 0; !refused; size *= 2, round++) {
      if (size > 9600) throw new Error('the apiserver never refused a write while a delete-collection held its only slot');
      const filler = Array.from({ length: size }, (_, i) => `filler-${round}-${i}`);
      for (let i = 0; i < filler.length; i += 50)
        await Promise.all(
          filler
            .slice(i, i + 50)
            .map((name) => admin.create(Resources.ConfigMap, { ...configMap(name), metadata: { ...configMap(name).metadata, labels: { filler: 'yes' } } })),
        );
      let settled = false;
      const attempt = raw(cluster, 'DELETE', `${path}?labelSelector=filler%3Dyes`);
      holding = attempt;
      void attempt.finally(() => {
        settled = true;
      });
      while (!settled && !refused) {
        const answer = await raw(cluster, 'POST', `${path}?dryRun=All`, configMap('probe'));
        if (answer.status === 429 && !settled) refused = answer;
      }
      if (!refused) await attempt;
    }
    expect(refused.retryAfter).to.equal('1');

    const throttled: ThrottledRetry[] = [];
    const alice = new ApiClient(cluster.userKubeConfig('alice'), { onThrottled: (r) => throttled.push(r) });
    const names = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
    try {
      const created = await Promise.all(names.map((name) => alice.create(Resources.ConfigMap, configMap(name))));
      expect(created.map((c) => c.metadata?.name)).to.deep.equal(names);
    } finally {
      alice.close();
    }
    expect((await holding!).status).to.equal(200);
    expect(throttled.filter((r) => r.method === 'POST').length, 'creates were refused and sent again').to.be.at.least(names.length);
    for (const retry of throttled) expect(retry.waitMs).to.be.at.least(1000);
    const stored = await admin.listAll(Resources.ConfigMap, { namespace: NAMESPACE, labelSelector: 'burst=yes' });
    expect(stored.map((c) => c.metadata?.name).sort(), 'each create landed exactly once').to.deep.equal([...names].sort());
  });
});
