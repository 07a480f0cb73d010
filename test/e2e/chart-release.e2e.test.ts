/**
 * The chart as a release on the local host: `helm install` of the previous
 * chart version (from git history), `helm upgrade` to the working tree's, and
 * `helm test`.
 *
 * What this can and cannot prove here: the host has no nodes and no container
 * runtime, so no Pod of the release ever runs. The operator answering
 * admission is the suite's own (test/e2e/setup.ts), under the default
 * configuration name canopy-validating, which the release's test is pointed at.
 * `helm test` runs for real: Helm creates the hooks and waits for the test
 * Pod; this file stands in for the kubelet by running the Pod's command
 * (node and the check script from the hook's ConfigMap) as a local process
 * with a token of the hook's ServiceAccount, then recording its exit code as
 * the Pod's phase. So the check's logic, its RBAC and Helm's hook handling are
 * proven against the real apiserver; the image, the in-cluster network path
 * to the Service and the release's own operator are not.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';
import { ensureTool, repoRoot, waitUntil } from '../../controlplane/launcher/index.js';
import { Resources, type KubeObject, type ResourceRef } from '../../src/runtime/index.js';
import { testEnv, uniqueName } from './env.js';
import { hostAdmin } from './wait.js';

const run = promisify(execFile);
const chartDir = join(repoRoot, 'charts', 'canopy');
const PDB: ResourceRef = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true };
const chartVersion = (dir: string): string => (parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as { version: string }).version;

interface Pod extends KubeObject {
  spec?: { containers?: { command?: string[]; env?: { name: string; value?: string }[] }[]; serviceAccountName?: string };
  status?: { phase?: string };
}

/** The newest commit whose chart has another version than the working tree's, unpacked into `dir`. */
async function previousChart(dir: string): Promise<{ commit: string; version: string; path: string }> {
  const working = chartVersion(chartDir);
  const { stdout } = await run('git', ['-C', repoRoot, 'log', '--format=%H', '--', 'charts/canopy/Chart.yaml']);
  for (const commit of stdout.trim().split('\n').filter(Boolean)) {
    const version = (parse((await run('git', ['-C', repoRoot, 'show', `${commit}:charts/canopy/Chart.yaml`])).stdout) as { version: string }).version;
    if (version === working) continue;
    await new Promise<void>((resolve, reject) => {
      const archive = spawn('git', ['-C', repoRoot, 'archive', commit, 'charts/canopy'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const untar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'inherit', 'inherit'] });
      archive.stdout.pipe(untar.stdin);
      untar.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`))));
    });
    return { commit, version, path: join(dir, 'charts', 'canopy') };
  }
  throw new Error(`no commit has a chart version other than ${working}`);
}

describe('Helm chart release: install the previous version, upgrade, helm test (e2e)', () => {
  const namespace = uniqueName('canopy-release');
  const release = uniqueName('rel');
  const fullname = `${release}-canopy`;
  const suffix = release.slice(-6);
  let helm = '';
  let work = '';
  let kubeconfig = '';
  const helmArgs = (...args: string[]): string[] => [...args, '--namespace', namespace, '--kubeconfig', kubeconfig];

  before(async function () {
    this.timeout(15 * 60_000); // helm is built on first use
    helm = await ensureTool('helm', { quiet: true });
    kubeconfig = testEnv().host.kubeconfigPath;
    work = mkdtempSync(join(tmpdir(), 'canopy-chart-'));
    await hostAdmin().create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });
  after(async function () {
    this.timeout(120_000);
    await run(helm, helmArgs('uninstall', release, '--wait=false')).catch(() => undefined);
    await hostAdmin()
      .delete(Resources.Namespace, namespace)
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('upgrades a release of the previous chart version to this one: deployed, objects renamed and updated', async function () {
    this.timeout(5 * 60_000);
    const previous = await previousChart(work);
    // The previous chart names its cluster-wide objects canopy-operator*, which the suite's
    // own operator already holds (config/rbac): a post-renderer gives them the release's suffix.
    const rename = join(work, 'rename.sh');
    writeFileSync(rename, `#!/bin/sh\nexec sed 's/name: canopy-operator/name: canopy-operator-${suffix}/g'\n`, { mode: 0o755 });
    await run(helm, helmArgs('install', release, previous.path, '--skip-crds', '--post-renderer', rename));
    const before = JSON.parse((await run(helm, helmArgs('list', '--filter', `^${release}$`, '-o', 'json'))).stdout) as {
      chart: string;
      status: string;
      revision: string;
    }[];
    expect(before.map((r) => [r.chart, r.status])).to.deep.equal([[`canopy-${previous.version}`, 'deployed']]);
    expect(await hostAdmin().tryGet(PDB, `canopy-operator-${suffix}`, namespace), 'the previous chart renders a PDB').to.not.equal(undefined);

    const upgraded = await run(
      helm,
      helmArgs('upgrade', release, chartDir, '--skip-crds', '--set', 'replicaCount=1', '--set', 'webhook.validatingConfigurationName=canopy-validating'),
    );
    expect(upgraded.stdout).to.contain('STATUS: deployed');
    // NOTES.txt: every example it names exists, and it says how CRDs are upgraded.
    const examples = [...upgraded.stdout.matchAll(/examples\/[\w./-]+/g)].map((m) => m[0]);
    expect(examples).to.include('examples/register-cluster/cluster.yaml');
    for (const example of examples) expect(existsSync(join(repoRoot, example)), `NOTES.txt names ${example}`).to.equal(true);
    expect(upgraded.stdout).to.contain('kubectl apply --server-side -f charts/canopy/crds/');
    const after = JSON.parse((await run(helm, helmArgs('list', '--filter', `^${release}$`, '-o', 'json'))).stdout) as {
      chart: string;
      status: string;
      revision: string;
    }[];
    expect(after.map((r) => [r.chart, r.status, String(r.revision)])).to.deep.equal([[`canopy-${chartVersion(chartDir)}`, 'deployed', '2']]);

    // The new names exist with the new chart's labels and settings; the old objects are gone.
    const deployment = await hostAdmin().get<
      KubeObject & { spec: { replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }
    >(Resources.Deployment, `${fullname}-operator`, namespace);
    expect(deployment.metadata?.labels?.['helm.sh/chart']).to.equal(`canopy-${chartVersion(chartDir)}`);
    expect(deployment.spec.replicas).to.equal(1);
    const env0 = Object.fromEntries(deployment.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(env0['CANOPY_LEADER_ELECTION_ID']).to.equal(`${fullname}-leader`);
    expect(env0['CANOPY_OWNER_CLUSTERROLE']).to.equal(`${fullname}-operator`);
    expect(await hostAdmin().tryGet(Resources.Deployment, `canopy-operator-${suffix}`, namespace)).to.equal(undefined);
    expect(await hostAdmin().tryGet(Resources.ClusterRole, `canopy-operator-${suffix}`)).to.equal(undefined);
    expect(await hostAdmin().tryGet(Resources.ClusterRole, `${fullname}-operator`)).to.not.equal(undefined);
    // One replica: no PodDisruptionBudget any more (0.1.0 rendered one that blocked every drain).
    const pdbs = await hostAdmin().listAll<KubeObject>(PDB, { namespace });
    expect(pdbs.map((p) => p.metadata?.name)).to.deep.equal([]);
  });

  it('helm test creates its hooks and passes: CRDs Established, webhook registered, a dry-run LogicalCluster reviewed', async function () {
    this.timeout(5 * 60_000);
    const env = testEnv();
    const testName = `${fullname}-test`;
    const helmTest = run(helm, helmArgs('test', release, '--timeout', '3m'));
    helmTest.catch(() => undefined); // awaited below; keeps an early failure from going unhandled

    const client = hostAdmin();
    let pod: Pod | undefined;
    expect(
      await waitUntil(60_000, 250, async () => (pod = await client.tryGet<Pod>(Resources.Pod, testName, namespace)) !== undefined),
      'helm test never created its Pod',
    ).to.equal(true);
    expect(pod!.metadata?.annotations?.['helm.sh/hook']).to.equal('test');
    const container = pod!.spec!.containers![0]!;
    expect(container.command).to.deep.equal(['node', '/canopy-test/check.mjs']);

    // The Pod's command, run where a kubelet would: its script, its environment, its ServiceAccount's token.
    const configMap = await client.get<KubeObject & { data: Record<string, string> }>(Resources.ConfigMap, testName, namespace);
    const dir = mkdtempSync(join(work, 'pod-'));
    writeFileSync(join(dir, 'check.mjs'), configMap.data['check.mjs']!);
    writeFileSync(join(dir, 'ca.crt'), env.host.caPem);
    const issued = (
      await run(join(env.binDir, 'kubectl'), [
        '--kubeconfig',
        kubeconfig,
        '-n',
        namespace,
        'create',
        'token',
        pod!.spec!.serviceAccountName!,
        '--duration',
        '10m',
      ])
    ).stdout.trim();
    writeFileSync(join(dir, 'token'), issued);
    const podEnv = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
    const check = await run(process.execPath, [join(dir, 'check.mjs')], {
      env: { ...podEnv, PATH: process.env.PATH, CANOPY_TEST_API_SERVER: env.host.server, CANOPY_TEST_SERVICEACCOUNT_DIR: dir },
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, out: err.stdout ?? '' }),
    );
    await run(join(env.binDir, 'kubectl'), [
      '--kubeconfig',
      kubeconfig,
      '-n',
      namespace,
      'patch',
      'pod',
      testName,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { phase: check.code === 0 ? 'Succeeded' : 'Failed' } }),
    ]);

    expect(check.out, check.out).to.contain('all checks passed');
    expect(check.out.match(/^ok {3}CRD \S+ is Established$/gm)).to.have.length(6);
    expect(check.out).to.match(/ok {3}ValidatingWebhookConfiguration canopy-validating has \d+ webhooks, each with a caBundle/);
    expect(check.out).to.match(
      /ok {3}dry-run LogicalCluster reviewed by the webhook: admission webhook "[^"]+" denied the request: .*workspace "canopy-helm-test-absent" does not exist/,
    );
    const result = await helmTest;
    expect(result.stdout).to.match(new RegExp(`TEST SUITE:\\s+${testName}`));
    expect(result.stdout).to.match(/Phase:\s+Succeeded/);
    // hook-succeeded: the test's ServiceAccount, RBAC and script are removed again.
    expect(await client.tryGet(Resources.ClusterRole, testName)).to.equal(undefined);
    expect(await client.tryGet(Resources.ConfigMap, testName, namespace)).to.equal(undefined);
  });

  it('the same check fails, naming the cause, when the webhook is not registered', async function () {
    this.timeout(60_000);
    const env = testEnv();
    const dir = mkdtempSync(join(work, 'broken-'));
    const script = (await run(helm, ['template', release, chartDir, '--namespace', namespace, '--show-only', 'templates/tests/check.yaml'])).stdout;
    const configMap = parse(script.split(/^---$/m).find((d) => d.includes('kind: ConfigMap'))!) as { data: Record<string, string> };
    writeFileSync(join(dir, 'check.mjs'), configMap.data['check.mjs']!);
    writeFileSync(join(dir, 'ca.crt'), env.host.caPem);
    // An admin token here: the point is the missing configuration, not RBAC.
    writeFileSync(join(dir, 'token'), env.host.adminToken);
    const failed = await run(process.execPath, [join(dir, 'check.mjs')], {
      env: {
        PATH: process.env.PATH,
        CANOPY_TEST_API_SERVER: env.host.server,
        CANOPY_TEST_SERVICEACCOUNT_DIR: dir,
        CANOPY_TEST_WEBHOOK_CONFIGURATION: `${fullname}-validating`,
      },
    }).then(
      () => ({ code: 0, out: '' }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, out: err.stdout ?? '' }),
    );
    expect(failed.code).to.equal(1);
    expect(failed.out).to.contain(
      `FAIL ValidatingWebhookConfiguration ${fullname}-validating does not exist: the operator has not registered its webhook (is it running?)`,
    );
  });
});
