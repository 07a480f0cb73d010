import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ensureTool, repoRoot, waitUntil } from '../../controlplane/launcher/index.js';
import { ManagedProcess } from '../../controlplane/launcher/process.js';
import { ApiClient, Resources, type KubeObject } from '../../src/runtime/index.js';
import type { Cluster } from '../../src/crds/cluster.js';
import type { PropagatedObject } from '../../src/crds/propagatedobject.js';
import { exampleReadme, readmeCommands } from '../../src/dev/readme-commands.js';
import { testEnv } from './env.js';
import { hostAdmin, objectWhen } from './wait.js';

const run = promisify(execFile);
type PO = PropagatedObject & KubeObject;
type DeploymentView = KubeObject & { status?: { readyReplicas?: number } };

/** Runs one README line the way a user's shell would: bash, the built kubectl first on PATH, the host's kubeconfig. */
async function shell(command: string, cwd = repoRoot): Promise<string> {
  const env = testEnv();
  const { stdout } = await run('bash', ['-c', command], {
    cwd,
    env: { ...process.env, PATH: `${env.binDir}:${process.env.PATH ?? ''}`, KUBECONFIG: env.host.kubeconfigPath },
  });
  return stdout;
}

/**
 * One example's README: its kubectl (and `npx kubectl-canopy`) lines, split
 * into the walkthrough and the clean-up that starts at its first `kubectl
 * delete`, run in README order.
 */
class Readme {
  readonly walkthrough: readonly string[];
  readonly cleanup: readonly string[];
  private next = 0;

  constructor(
    readonly folder: string,
    private readonly cwd = repoRoot,
  ) {
    const commands = readmeCommands(exampleReadme(folder));
    const firstDelete = commands.findIndex((c) => c.startsWith('kubectl delete'));
    this.walkthrough = firstDelete < 0 ? commands : commands.slice(0, firstDelete);
    this.cleanup = firstDelete < 0 ? [] : commands.slice(firstDelete);
  }

  /** Runs the walkthrough's lines up to and including the next one containing `marker`; returns that line's output. */
  async through(marker: string): Promise<string> {
    const at = this.walkthrough.findIndex((c, i) => i >= this.next && c.includes(marker));
    if (at < 0) throw new Error(`examples/${this.folder}/README.md has no command containing "${marker}" after line ${this.next}`);
    let output = '';
    for (; this.next <= at; this.next++) output = await shell(this.walkthrough[this.next]!, this.cwd);
    return output;
  }

  /** Every walkthrough line not run yet. */
  async rest(): Promise<void> {
    for (; this.next < this.walkthrough.length; this.next++) await shell(this.walkthrough[this.next]!, this.cwd);
  }

  /** The README's clean-up lines, as written. */
  async clean(): Promise<void> {
    for (const command of this.cleanup) await shell(command, this.cwd);
  }

  /** After a failure part-way: the same deletions, tolerating what was never created. */
  async cleanQuietly(): Promise<void> {
    for (const command of this.cleanup) {
      await shell(`${command} --ignore-not-found --wait=false`, this.cwd).catch(() => undefined);
    }
  }
}

const ready = (po: PO) => po.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const placed = (po: PO) => (po.status?.placement ?? []).map((p) => p.cluster).sort();
const replicasOn = (po: PO) => Object.fromEntries((po.status?.placement ?? []).map((p) => [p.cluster, p.replicas]));
const exclusion = (po: PO, cluster: string) => (po.status?.excluded ?? []).find((e) => e.cluster === cluster);

/** Ready replicas of the Deployment as its members report it, summed over the given clusters. */
async function memberReadyReplicas(clusters: readonly string[], name: string, namespace: string): Promise<number> {
  let ready = 0;
  for (const cluster of clusters) {
    const d = await ApiClient.for(testEnv().cluster(cluster).kubeConfig()).tryGet<DeploymentView>(Resources.Deployment, name, namespace);
    ready += d?.status?.readyReplicas ?? 0;
  }
  return ready;
}

async function gone(resource: Parameters<ApiClient['tryGet']>[0], name: string, namespace?: string): Promise<boolean> {
  return waitUntil(90_000, 500, async () => !(await hostAdmin().tryGet(resource, name, namespace)));
}

/**
 * Every example folder's README, as written: its kubectl lines run in order
 * against the shared environment, and what the README says happens is
 * checked on the host and the members. The quickstart has its own test
 * (quickstart.e2e.test.ts).
 */
describe('examples: every README does what it says (e2e)', function () {
  this.timeout(240_000);

  it('covers every example folder (the quickstart in quickstart.e2e.test.ts, extensions/ in extensions-package.e2e.test.ts and the initializer and plugin e2e suites)', () => {
    const folders = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(folders).to.deep.equal(['cost-aware', 'extensions', 'jurisdiction-cel', 'policy-engine', 'quickstart', 'register-cluster', 'team-hierarchy']);
  });

  describe('team-hierarchy', () => {
    const readme = new Readme('team-hierarchy');
    const below = ['org-team-a', 'org-svc1'];
    after(() => readme.cleanQuietly());

    it('copies the RoleBinding sres from org into every namespace below it, labelled inherited-from=org', async () => {
      await readme.through('01-rolebinding.yaml');
      const admin = hostAdmin();
      const copied = await waitUntil(60_000, 250, async () => {
        const copies = await Promise.all(below.map((ns) => admin.tryGet(Resources.RoleBinding, 'sres', ns)));
        return copies.every((c) => c?.metadata?.labels?.['canopy.dev/inherited-from'] === 'org');
      });
      expect(copied, `sres copied into ${below.join(', ')}`).to.equal(true);

      const listed = await readme.through('inherited-from=org');
      const rows = listed
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/).slice(0, 2).join('/'))
        .sort();
      expect(rows).to.deep.equal(['org-svc1/sres', 'org-team-a/sres']);
      for (const ns of below) {
        const copy = await admin.get(Resources.RoleBinding, 'sres', ns);
        expect(copy.metadata?.labels).to.include({ 'canopy.dev/inherited-from': 'org', 'canopy.dev/managed-by': 'canopy' });
      }
      const source = await admin.get(Resources.RoleBinding, 'sres', 'org');
      expect(source.metadata?.labels?.['canopy.dev/inherited-from']).to.equal(undefined);

      // What the copy grants, as the README says: group sre may read in org-svc1.
      expect((await shell('kubectl auth can-i list pods -n org-svc1 --as=someone --as-group=sre')).trim()).to.equal('yes');
      const ws = await admin.get<KubeObject & { status?: { path?: string } }>(Resources.Workspace, 'org-svc1');
      expect(ws.status?.path).to.equal('root:org:org-team-a:org-svc1');

      const tree = await readme.through('kubectl-canopy tree org');
      const at = (name: string) => tree.split('\n').findIndex((l) => new RegExp(`\\b${name}\\b`).test(l));
      expect(at('org')).to.be.greaterThan(-1);
      expect(at('org-team-a')).to.be.greaterThan(at('org'));
      expect(at('org-svc1')).to.be.greaterThan(at('org-team-a'));
      await readme.rest();
    });

    it('cleans up as the README says', async () => {
      await readme.clean();
      for (const name of ['org-svc1', 'org-team-a', 'org']) expect(await gone(Resources.Workspace, name), `workspace ${name} deleted`).to.equal(true);
    });
  });

  describe('jurisdiction-cel', () => {
    const readme = new Readme('jurisdiction-cel');
    const namespace = 'initech-prod-apps';
    after(() => readme.cleanQuietly());

    it('places the low-criticality Deployment on eu-1 and eu-2, the other on the PCI site eu-1 only, all replicas Ready', async () => {
      await readme.through('--for=condition=Ready');
      const reports = await objectWhen<PO>(Resources.PropagatedObject, 'reports', namespace, (p) => ready(p) && p.status?.readyReplicas === 4, 'Ready 4/4');
      expect(reports.status?.policy).to.equal('initech-jurisdiction');
      expect(placed(reports)).to.deep.equal(['eu-1', 'eu-2']);
      expect(exclusion(reports, 'us-1')?.reason).to.contain('rule jurisdiction');
      expect(await memberReadyReplicas(['eu-1', 'eu-2'], 'reports', namespace)).to.equal(4);

      const payments = await objectWhen<PO>(Resources.PropagatedObject, 'payments', namespace, (p) => ready(p) && p.status?.readyReplicas === 2, 'Ready 2/2');
      expect(placed(payments)).to.deep.equal(['eu-1']);
      expect(exclusion(payments, 'eu-2')?.reason).to.contain('rule pci-unless-low-criticality');
      expect(exclusion(payments, 'us-1')?.reason).to.contain('rule jurisdiction');
      expect(await memberReadyReplicas(['eu-1'], 'payments', namespace)).to.equal(2);

      const listing = await readme.through('kubectl get propagatedobjects');
      expect(listing)
        .to.match(/reports/)
        .and.to.match(/payments/);
      const explained = await readme.through('kubectl-canopy explain payments');
      expect(explained).to.contain('eu-2').and.to.contain('pci-unless-low-criticality');
      await readme.rest();
    });

    it('cleans up as the README says', async () => {
      await readme.clean();
      expect(await gone(Resources.LogicalCluster, 'initech-prod')).to.equal(true);
      expect(await gone(Resources.Workspace, 'initech')).to.equal(true);
      expect(await hostAdmin().tryGet(Resources.PlacementPolicy, 'initech-jurisdiction')).to.equal(undefined);
    });
  });

  describe('cost-aware', () => {
    const readme = new Readme('cost-aware');
    after(() => readme.cleanQuietly());

    it('puts all replicas on the cheapest cluster, eu-1, at the prices the README lists', async () => {
      const prices = await readme.through('kubectl get clusters');
      const row = (name: string) =>
        prices
          .split('\n')
          .find((l) => l.split(/\s+/)[0] === name)
          ?.split(/\s+/)
          .slice(1, 3);
      expect(row('eu-1')).to.deep.equal(['0.02', '0.003']);
      expect(row('eu-2')).to.deep.equal(['0.04', '0.005']);
      expect(row('us-1')).to.deep.equal(['0.04', '0.005']);

      await readme.through('--for=condition=Ready');
      const po = await objectWhen<PO>(
        Resources.PropagatedObject,
        'nightly-report',
        'cost-aware',
        (p) => ready(p) && p.status?.readyReplicas === 4,
        'Ready 4/4',
      );
      expect(po.status?.policy).to.equal('cheapest-cluster');
      expect(replicasOn(po)).to.deep.equal({ 'eu-1': 4 });
      expect(await memberReadyReplicas(['eu-1'], 'nightly-report', 'cost-aware')).to.equal(4);

      const placement = JSON.parse(await readme.through("jsonpath='{.status.placement}'")) as Array<{ cluster: string; replicas?: number }>;
      expect(placement.map((p) => [p.cluster, p.replicas])).to.deep.equal([['eu-1', 4]]);
      expect(await readme.through('kubectl-canopy explain nightly-report')).to.contain('eu-1');
      await readme.rest();
    });

    it('cleans up as the README says', async () => {
      await readme.clean();
      expect(await gone(Resources.Namespace, 'cost-aware')).to.equal(true);
      expect(await hostAdmin().tryGet(Resources.PlacementPolicy, 'cheapest-cluster')).to.equal(undefined);
    });
  });

  describe('policy-engine', () => {
    const readme = new Readme('policy-engine');
    let opa: ManagedProcess | undefined;
    let opaLog = '';
    after(async () => {
      await readme.cleanQuietly();
      await opa?.stop();
    });

    /** The README's `"$opa" run ...` line, with the opa that controlplane/build.sh makes. */
    async function startOpa(): Promise<void> {
      const line = readFileSync(join(repoRoot, 'examples', 'policy-engine', 'README.md'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('"$opa" run '));
      if (!line) throw new Error('examples/policy-engine/README.md has no `"$opa" run` line');
      const binary = await ensureTool('opa', { quiet: true });
      const dir = join(testEnv().stateDir, 'examples-opa');
      mkdirSync(dir, { recursive: true });
      opaLog = join(dir, 'opa.log');
      const args = line
        .replace(/\s+#.*$/, '')
        .split(/\s+/)
        .slice(1)
        .map((a) => (a.startsWith('examples/') ? join(repoRoot, a) : a));
      opa = new ManagedProcess({ label: 'opa', binDir: dirname(binary), binary: 'opa', logFile: opaLog, args: [...args, '--disable-telemetry'] });
      opa.start();
      const healthy = await waitUntil(30_000, 200, async () => {
        if (!opa!.running) return true;
        return (await fetch('http://127.0.0.1:8181/health').catch(() => undefined))?.status === 200;
      });
      if (!opa.running || !healthy) throw new Error(`opa did not start on 127.0.0.1:8181 as the README runs it: ${opa.logTail(5)}`);
    }

    it("places acme's low-criticality Deployment on eu-1 and eu-2 by OPA's weights, never us-1", async function () {
      this.timeout(10 * 60_000); // opa is built on first use
      await startOpa();
      await readme.through('--for=condition=Ready');
      const po = await objectWhen<PO>(Resources.PropagatedObject, 'invoices', 'acme-invoices', (p) => ready(p) && p.status?.readyReplicas === 3, 'Ready 3/3');
      expect(po.status?.policy).to.equal('customer-jurisdiction');
      expect(replicasOn(po)).to.deep.equal({ 'eu-1': 1, 'eu-2': 2 });
      expect(exclusion(po, 'us-1')?.plugin).to.equal('PolicyEngine');
      const printed = JSON.parse(await readme.through('.status.placement')) as Array<{ cluster: string }>;
      expect(printed.map((p) => p.cluster).sort()).to.deep.equal(['eu-1', 'eu-2']);

      // OPA's terminal (its log) shows the decision: the path, the input and the result.
      const decisions = readFileSync(opaLog, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"Decision Log"'))
        .map((l) => JSON.parse(l) as { path?: string; input?: { object?: { metadata?: { name?: string } } }; result?: { clusters?: Record<string, unknown> } });
      const about = decisions.filter((d) => d.path === 'canopy/placement' && d.input?.object?.metadata?.name === 'invoices').at(-1);
      expect(about, 'a decision about invoices in the decision log').to.not.equal(undefined);
      expect(about!.result?.clusters).to.have.all.keys('eu-1', 'eu-2');
      await readme.rest();
    });

    it('cleans up as the README says', async () => {
      await readme.clean();
      expect(await gone(Resources.Namespace, 'acme-invoices')).to.equal(true);
      expect(await hostAdmin().tryGet(Resources.PlacementPolicy, 'customer-jurisdiction')).to.equal(undefined);
    });
  });

  describe('register-cluster', () => {
    // The README registers a cluster from a kubeconfig file of the reader's;
    // here that file points at a loopback port nothing listens on, so what the
    // README promises is the honest half: registered, not Ready, and why.
    const token = 'example-token-never-shown';
    let workdir = '';
    let readme: Readme;
    before(async () => {
      workdir = join(testEnv().stateDir, 'examples-register-cluster');
      mkdirSync(workdir, { recursive: true });
      symlinkSync(join(repoRoot, 'examples'), join(workdir, 'examples'));
      const kubeconfig = [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: onprem-eu-3, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        `users: [{name: admin, user: {token: ${token}}}]`,
        'contexts: [{name: onprem-eu-3, context: {cluster: onprem-eu-3, user: admin}}]',
        'current-context: onprem-eu-3',
      ].join('\n');
      writeFileSync(join(workdir, 'onprem-eu-3.kubeconfig'), `${kubeconfig}\n`, { mode: 0o600 });
      readme = new Readme('register-cluster', workdir);
    });
    after(() => readme?.cleanQuietly());

    it('registers onprem-eu-3 and reports it NotReady with the reason, without the credentials', async () => {
      await readme.through('create secret generic onprem-eu-3-kubeconfig');
      await readme.through('kubectl apply -f examples/register-cluster/cluster.yaml');
      const cluster = await objectWhen<Cluster & KubeObject>(
        Resources.Cluster,
        'onprem-eu-3',
        undefined,
        (c) => c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'False') === true,
        'Ready=False',
        60_000,
      );
      const condition = cluster.status!.conditions!.find((c) => c.type === 'Ready')!;
      expect(condition.reason).to.equal('Unreachable');
      expect(condition.message).to.contain('https://127.0.0.1:1');
      expect(JSON.stringify(cluster)).to.not.contain(token);
      expect(await readme.through('kubectl get cluster onprem-eu-3')).to.contain('onprem-eu-3');
      await readme.rest();
    });

    it('cleans up as the README says', async () => {
      await readme.clean();
      expect(await gone(Resources.Cluster, 'onprem-eu-3')).to.equal(true);
      expect(await hostAdmin().tryGet(Resources.Secret, 'onprem-eu-3-kubeconfig', 'canopy-system')).to.equal(undefined);
    });
  });
});
