/**
 * Attack 7, secrets stay secret. Whoever writes a Cluster's kubeconfig Secret
 * must not get a credential quoted into places others read (Cluster status,
 * Events, PropagatedObject status, which tenants read, and the operator's
 * log), nor run a program in the operator or make it read a file:
 *
 * - a malformed kubeconfig holding a recognisable token and key is reported
 *   as "not valid YAML (line n)", never with the parser's excerpt;
 * - one with an `exec` user or a `tokenFile` is refused (KubeconfigRefused),
 *   naming the field, and the program never runs;
 * - a Cluster that served a tenant's object and then gets a malformed
 *   kubeconfig carries that reason into the object's status, still clean.
 *
 * Then every Event on the host, every Cluster, PropagatedObject and
 * LogicalCluster status and the operator's log are scanned for the planted
 * token, PEM markers, JWT prefixes, kubeconfig credential fields and the real
 * tokens of every local user and member admin.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { ApiClient, Resources, type KubeObject } from '../../../src/runtime/index.js';
import { SYSTEM_NAMESPACE } from '../../../src/dev/register.js';
import { testEnv, testOperator, uniqueName } from '../env.js';
import { operatorLogPath } from '../operator.js';
import { scanForLeaks } from '../../support/leak-scan.js';

type Condition = { type: string; status: string; reason: string; message: string };
type WithStatus = KubeObject & { status?: { conditions?: Condition[] } & Record<string, unknown> };

const readyOf = (c: WithStatus | undefined) => c?.status?.conditions?.find((x) => x.type === 'Ready');

describe('security: secrets stay secret (attack 7)', function () {
  this.timeout(300_000);
  const id = uniqueName('leak');
  const malformed = `${id}-malformed`;
  const execUser = `${id}-exec`;
  const tokenFileUser = `${id}-tokenfile`;
  const placed = `${id}-placed`;
  const tenantWs = `${id}-ws`;
  const tenantNs = `${id}-apps`;
  const policy = `${id}-policy`;
  // Recognisable, and shaped like nothing redact() would catch by its form: only never quoting it keeps it out.
  const plantedToken = `plantedtoken${randomBytes(8).toString('hex')}`;
  const plantedKey = Buffer.from(`-----BEGIN RSA PRIVATE KEY-----\nMIIEplanted${plantedToken}\n-----END RSA PRIVATE KEY-----\n`).toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'canopy-leak-'));
  const execMarker = join(dir, 'exec-ran');
  const tokenFile = join(dir, 'token');
  const fileToken = `filetoken${randomBytes(8).toString('hex')}`;
  let admin: ApiClient;

  /** A kubeconfig whose YAML breaks on the line after the token: the parser would quote both. */
  function brokenKubeconfig(server: string): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${server}`,
      'users:',
      '- name: u',
      '  user:',
      `    token: ${plantedToken}`,
      `    client-key-data: ${plantedKey}`,
      `   client-certificate-data: [${plantedKey}`,
      'contexts:',
      '- name: x',
      '  context: { cluster: c, user: u }',
      'current-context: x',
      '',
    ].join('\n');
  }

  function kubeconfigWithUser(user: Record<string, unknown>): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: { server: testEnv().members[0]!.server, 'certificate-authority-data': Buffer.from(testEnv().members[0]!.caPem).toString('base64') },
        },
      ],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });
  }

  async function register(name: string, kubeconfig: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): Promise<void> {
    await admin.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-kubeconfig`, namespace: SYSTEM_NAMESPACE },
      stringData: { kubeconfig },
    } as KubeObject);
    await admin.create(Resources.Cluster, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels },
      spec: {
        kubeconfigSecretRef: { name: `${name}-kubeconfig`, namespace: SYSTEM_NAMESPACE, key: 'kubeconfig' },
        region: 'leak-1',
        probeIntervalSeconds: 1,
        ...spec,
      },
    } as KubeObject);
  }

  async function clusterWhen(name: string, what: string, test: (c: WithStatus) => boolean): Promise<WithStatus> {
    let last: WithStatus | undefined;
    const ok = await waitUntil(90_000, 250, async () => {
      last = await admin.tryGet<WithStatus>(Resources.Cluster, name);
      return last !== undefined && test(last);
    });
    expect(ok, `Cluster ${name} ${what}; last status ${JSON.stringify(last?.status)}`).to.equal(true);
    return last!;
  }

  before(async () => {
    admin = ApiClient.for(testEnv().host.kubeConfig());
    writeFileSync(tokenFile, `${fileToken}\n`);
  });

  after(async () => {
    await admin.delete(Resources.PlacementPolicy, policy).catch(() => undefined);
    await admin.delete(Resources.Namespace, tenantNs).catch(() => undefined);
    await admin.delete(Resources.Workspace, tenantWs).catch(() => undefined);
    for (const name of [malformed, execUser, tokenFileUser, placed]) {
      await admin.delete(Resources.Cluster, name).catch(() => undefined);
      await admin.delete(Resources.Secret, `${name}-kubeconfig`, SYSTEM_NAMESPACE).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a malformed kubeconfig by its line alone', async () => {
    await register(malformed, brokenKubeconfig('https://127.0.0.1:1'));
    const cluster = await clusterWhen(malformed, 'reports InvalidKubeconfig', (c) => readyOf(c)?.reason === 'InvalidKubeconfig');
    expect(readyOf(cluster)).to.include({
      status: 'False',
      message: `cluster ${malformed}: the kubeconfig in Secret ${SYSTEM_NAMESPACE}/${malformed}-kubeconfig key "kubeconfig" is not valid YAML (line 12)`,
    });
  });

  it('refuses a kubeconfig whose user runs a program, and never runs it', async () => {
    await register(
      execUser,
      kubeconfigWithUser({
        exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', `touch ${execMarker}`], interactiveMode: 'Never' },
      }),
    );
    const cluster = await clusterWhen(execUser, 'reports KubeconfigRefused', (c) => readyOf(c)?.reason === 'KubeconfigRefused');
    expect(readyOf(cluster)?.status).to.equal('False');
    expect(readyOf(cluster)?.message).to.contain(
      `the kubeconfig in Secret ${SYSTEM_NAMESPACE}/${execUser}-kubeconfig key "kubeconfig" uses users[0].user.exec, which runs a program`,
    );
    expect(readyOf(cluster)?.message).to.contain('CANOPY_ALLOW_MEMBER_KUBECONFIG_PLUGINS=true');
    // Refused before any client was built: nothing ran the command.
    expect(existsSync(execMarker), 'the exec command ran inside the operator').to.equal(false);
  });

  it('refuses a kubeconfig that makes the operator read a file', async () => {
    await register(tokenFileUser, kubeconfigWithUser({ tokenFile }));
    const cluster = await clusterWhen(tokenFileUser, 'reports KubeconfigRefused', (c) => readyOf(c)?.reason === 'KubeconfigRefused');
    expect(readyOf(cluster)?.message).to.contain('uses users[0].user.tokenFile, which reads a file');
  });

  it("keeps a broken member kubeconfig's contents out of a tenant's PropagatedObject status", async () => {
    // A Cluster that works (eu-1's own credentials), tainted so only this test's policy uses it.
    const member = testEnv().members[0]!;
    const taint = { key: 'canopy.dev/leak-check', value: id, effect: 'NoSchedule' };
    // No failover while the test looks: the object stays placed there and its status says why it cannot sync.
    await register(placed, member.kubeconfigYaml(), { taints: [taint], failoverAfterSeconds: 3600 }, { 'canopy.dev/leak-check': id });
    await clusterWhen(placed, 'is Ready', (c) => readyOf(c)?.status === 'True');
    await admin.create(Resources.Workspace, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: tenantWs }, spec: {} } as KubeObject);
    await admin.create(Resources.Namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: tenantNs, labels: { 'canopy.dev/workspace': tenantWs } },
    });
    await admin.create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        priority: 900,
        resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', workspace: tenantWs }],
        clusterSelector: { matchLabels: { 'canopy.dev/leak-check': id } },
        tolerations: [{ key: taint.key, operator: 'Equal', value: id, effect: 'NoSchedule' }],
      },
    } as KubeObject);
    await admin.create(Resources.ConfigMap, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: tenantNs },
      data: { mode: 'on' },
    } as KubeObject);
    const synced = await waitUntil(
      90_000,
      250,
      async () =>
        (await admin.tryGet(Resources.ConfigMap, 'settings', tenantNs)) !== undefined &&
        (await ApiClient.for(member.kubeConfig()).tryGet(Resources.ConfigMap, 'settings', tenantNs)) !== undefined,
    );
    expect(synced, 'the ConfigMap reached the member through the test Cluster').to.equal(true);

    // The Secret is replaced by a malformed kubeconfig: the object's status must say why, cleanly.
    await admin.patch(
      Resources.Secret,
      `${placed}-kubeconfig`,
      SYSTEM_NAMESPACE,
      { stringData: { kubeconfig: brokenKubeconfig(member.server) } } as KubeObject,
      'merge',
    );
    let statusText = '';
    const reported = await waitUntil(90_000, 250, async () => {
      const objects = await admin.listAll<WithStatus>(Resources.PropagatedObject, { namespace: tenantNs });
      statusText = JSON.stringify(objects.map((o) => o.status ?? {}));
      return statusText.includes('InvalidKubeconfig');
    });
    expect(reported, `PropagatedObject status names the broken kubeconfig; last: ${statusText}`).to.equal(true);
    // Either the Cluster's reason alone, or the pool's own message: the line number, never the text.
    for (const quoted of [plantedToken, 'client-key-data', 'BEGIN ', 'token:']) expect(statusText).to.not.contain(quoted);
  });

  it('leaves no token, key or kubeconfig fragment in any Event, status or the operator log', async () => {
    const planted = new Map<string, string>([
      ['the planted token', plantedToken],
      ['the planted key data', plantedKey.slice(0, 40)],
      ['the token file contents', fileToken],
    ]);
    await new Promise<void>((resolve) => testOperator().manager.logger.flush(() => resolve()));
    expect(readFileSync(operatorLogPath, 'utf8').length, 'the operator log has content').to.be.greaterThan(0);
    const scan = await scanForLeaks({
      env: testEnv(),
      operatorLog: operatorLogPath,
      planted,
      operatorToken: testOperator().kubeConfig.getCurrentUser()?.token,
    });
    // The scan covered the statuses that report the broken kubeconfigs.
    expect(scan.places).to.include.members([`Cluster /${malformed} status`, `Cluster /${execUser} status`, 'the operator log']);
    expect(scan.hits, scan.hits.join('\n')).to.deep.equal([]);
  });
});
