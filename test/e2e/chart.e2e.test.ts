import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { ensureTool, repoRoot } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from './env.js';
import { hostAdmin } from './wait.js';
import { Resources } from '../../src/runtime/index.js';

const run = promisify(execFile);
const chartDir = join(repoRoot, 'charts', 'canopy');

interface Container {
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string }[];
}
interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    secretName?: string;
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: { containers?: Container[]; imagePullSecrets?: { name: string }[]; volumes?: { name: string; secret?: { secretName: string } }[] };
    };
  };
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

function parseObjects(stdout: string): Rendered[] {
  return parseAllDocuments(stdout)
    .map((d) => d.toJSON() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
}

function envOf(deployment: Rendered): Record<string, string | undefined> {
  return Object.fromEntries((deployment.spec?.template?.spec?.containers?.[0]?.env ?? []).map((e) => [e.name, e.value]));
}

/** The command's failure (exit code and stderr), or a test failure when it succeeded. */
async function failureOf(command: string, args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(command, args);
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
  throw new Error(`${command} ${args.join(' ')} succeeded but should have failed`);
}

describe('Helm chart (e2e)', () => {
  const namespace = uniqueName('canopy-chart');
  let helm = '';
  const template = async (...args: string[]): Promise<Rendered[]> =>
    parseObjects((await run(helm, ['template', 'canopy', chartDir, '--namespace', namespace, ...args])).stdout);

  before(async function () {
    this.timeout(15 * 60_000); // helm is built on first use (minutes on a cold Go cache)
    helm = await ensureTool('helm', { quiet: true });
    await hostAdmin().create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });
  after(async () => {
    await hostAdmin()
      .delete(Resources.Namespace, namespace)
      .catch(() => undefined);
  });

  it('renders without --kube-version and every object passes the real apiserver (server-side dry run)', async () => {
    const env = testEnv();
    // --skip-tests: the test hooks' Pod needs its ServiceAccount to exist, which a dry run does not create.
    const { stdout } = await run(helm, ['template', 'canopy', chartDir, '--namespace', namespace, '--include-crds', '--skip-tests']);
    const objects = parseObjects(stdout);
    const kinds = objects.map((o) => o.kind);
    // Every CRD the chart carries (one file each under crds/), installed by --include-crds.
    expect(kinds.filter((k) => k === 'CustomResourceDefinition')).to.have.length(readdirSync(join(chartDir, 'crds')).filter((f) => f.endsWith('.yaml')).length);
    for (const kind of ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'Service', 'PodDisruptionBudget'])
      expect(kinds, kind).to.include(kind);
    expect(kinds).to.not.include('ServiceMonitor');
    expect(kinds).to.not.include('Certificate');

    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec?.replicas).to.equal(2);
    const env0 = envOf(deployment);
    expect(env0['CANOPY_LEADER_ELECT']).to.equal('true');
    expect(env0['CANOPY_LEASE_DURATION']).to.equal('15s');
    // Release `canopy` keeps chart 0.1.0's names, so upgrading it renames nothing (no second leader under another Lease).
    expect(deployment.metadata.name).to.equal('canopy-operator');
    expect(env0['CANOPY_LEADER_ELECTION_ID']).to.equal('canopy-leader');
    expect(env0['CANOPY_WEBHOOK_CERT_SECRET']).to.equal('canopy-webhook-tls');
    expect(env0['CANOPY_WEBHOOK_CONFIGURATION_NAME']).to.equal('canopy-validating');
    // What the operator writes for itself is owned by a ClusterRole the release installs (and uninstall deletes).
    const clusterRoles = objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata?.name);
    expect(clusterRoles).to.include(env0['CANOPY_OWNER_CLUSTERROLE']);

    const applied = await dryRunApply(join(env.binDir, 'kubectl'), env.host.kubeconfigPath, stdout);
    expect(applied.trim().split('\n')).to.have.length(objects.length);
  });

  it('lints clean, strict', async () => {
    const { stdout } = await run(helm, ['lint', '--strict', chartDir]);
    expect(stdout).to.contain('0 chart(s) failed');
  });

  it('refuses a bad value with a schema error, in template and in install against the host', async () => {
    const rendered = await failureOf(helm, ['template', 'canopy', chartDir, '--set', 'replicaCount=abc']);
    expect(rendered.code).to.equal(1);
    expect(rendered.stderr).to.contain("values don't meet the specifications of the schema");
    expect(rendered.stderr).to.contain("at '/replicaCount': got string, want integer");

    for (const bad of [
      ['logLevel=loud', "at '/logLevel'"],
      ['replicaCount=0', "at '/replicaCount'"],
      ['webhook.port=70000', "at '/webhook/port'"],
      ['replicas=3', "additional properties 'replicas' not allowed"],
    ] as const) {
      const failure = await failureOf(helm, ['template', 'canopy', chartDir, '--set', bad[0]]);
      expect(failure.stderr, bad[0]).to.contain(bad[1]);
    }

    const release = uniqueName('bad');
    const installed = await failureOf(helm, [
      'install',
      release,
      chartDir,
      '--namespace',
      namespace,
      '--kubeconfig',
      testEnv().host.kubeconfigPath,
      '--skip-crds',
      '--set',
      'replicaCount=abc',
    ]);
    expect(installed.stderr).to.contain("at '/replicaCount': got string, want integer");
    const { stdout } = await run(helm, ['list', '--namespace', namespace, '--kubeconfig', testEnv().host.kubeconfigPath, '--all', '-o', 'json']);
    expect((JSON.parse(stdout) as { name: string }[]).map((r) => r.name)).to.not.include(release);
    // Nothing reached the apiserver either.
    expect(await hostAdmin().tryGet(Resources.Deployment, `${release}-canopy-operator`, namespace)).to.equal(undefined);
  });

  it('refuses value combinations the schema cannot express, in one sentence', async () => {
    const noElection = await failureOf(helm, ['template', 'canopy', chartDir, '--set', 'leaderElection.enabled=false']);
    expect(noElection.stderr).to.contain('leaderElection.enabled=false needs replicaCount=1');
    const twoCerts = await failureOf(helm, [
      'template',
      'canopy',
      chartDir,
      '--set',
      'webhook.certManager.enabled=true',
      '--set',
      'webhook.existingSecret=mine',
    ]);
    expect(twoCerts.stderr).to.contain('webhook.certManager.enabled and webhook.existingSecret are exclusive');
  });

  it('renders a PodDisruptionBudget only with more than one replica or when asked', async () => {
    expect((await template('--set', 'replicaCount=1')).map((o) => o.kind)).to.not.include('PodDisruptionBudget');
    expect((await template('--set', 'replicaCount=1', '--set', 'podDisruptionBudget.enabled=true')).map((o) => o.kind)).to.include('PodDisruptionBudget');
    expect((await template('--set', 'replicaCount=3')).map((o) => o.kind)).to.include('PodDisruptionBudget');
  });

  it('without the webhook: no webhook Service, the operator told so, and helm test checks only the CRDs', async () => {
    const objects = await template('--set', 'webhook.enabled=false');
    expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).to.deep.equal(['canopy-metrics', 'canopy-gateway']);
    const env0 = envOf(objects.find((o) => o.kind === 'Deployment')!);
    expect(env0['CANOPY_WEBHOOK']).to.equal('false');
    expect(Object.keys(env0).filter((k) => k.startsWith('CANOPY_WEBHOOK_'))).to.deep.equal([]);
    const pod = objects.find((o) => o.kind === 'Pod')!;
    expect((pod.spec as unknown as { containers: Container[] }).containers[0]!.env!.map((e) => e.name)).to.deep.equal(['CANOPY_TEST_CRDS']);
  });

  it('names every object from fullnameOverride or the release, and the operator settings follow', async () => {
    for (const [args, prefix] of [
      [['--set', 'fullnameOverride=acme'], 'acme'],
      [[], 'canopy'],
      [['--set', 'nameOverride=tenancy'], 'canopy-tenancy'],
    ] as const) {
      const objects = await template(...args);
      for (const o of objects.filter((x) => x.kind !== 'CustomResourceDefinition'))
        expect(o.metadata.name, `${o.kind} ${o.metadata.name}`).to.match(new RegExp(`^${prefix}-`));
      const env0 = envOf(objects.find((o) => o.kind === 'Deployment')!);
      expect(env0['CANOPY_OWNER_CLUSTERROLE']).to.equal(`${prefix}-operator`);
      expect(env0['CANOPY_WEBHOOK_SERVICE']).to.equal(`${prefix}-webhook.${namespace}.svc`);
      expect(env0['CANOPY_LEADER_ELECTION_ID']).to.equal(`${prefix}-leader`);
      // The ClusterRole lets the operator write exactly the webhook configurations it is told to name.
      const core = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === `${prefix}-operator-core`) as unknown as {
        rules: { resourceNames?: string[] }[];
      };
      expect(core.rules.flatMap((r) => r.resourceNames ?? [])).to.include.members([
        env0['CANOPY_WEBHOOK_CONFIGURATION_NAME'],
        env0['CANOPY_WEBHOOK_MUTATING_CONFIGURATION_NAME'],
      ]);
    }
    const prod = await run(helm, ['template', 'prod', chartDir, '--namespace', namespace]);
    expect(parseObjects(prod.stdout).find((o) => o.kind === 'Deployment')?.metadata.name).to.equal('prod-canopy-operator');
  });

  it('sets imagePullSecrets, pod annotations and labels, and an optional ServiceMonitor', async () => {
    const objects = await template(
      '--set',
      'imagePullSecrets[0].name=registry',
      '--set',
      'podAnnotations.example\\.com/team=platform',
      '--set',
      'podLabels.tier=control',
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.serviceMonitor.interval=30s',
    );
    const pod = objects.find((o) => o.kind === 'Deployment')!.spec!.template!;
    expect(pod.spec?.imagePullSecrets).to.deep.equal([{ name: 'registry' }]);
    expect(pod.metadata?.annotations).to.deep.equal({ 'example.com/team': 'platform' });
    expect(pod.metadata?.labels).to.include({ tier: 'control', 'app.kubernetes.io/name': 'canopy' });
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as unknown as {
      apiVersion: string;
      spec: { endpoints: { port: string; interval: string }[]; selector: { matchLabels: Record<string, string> } };
    };
    expect(monitor.apiVersion).to.equal('monitoring.coreos.com/v1');
    expect(monitor.spec.endpoints).to.deep.equal([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    const metricsService = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'canopy-metrics')!;
    expect(metricsService.metadata.labels).to.include(monitor.spec.selector.matchLabels);
  });

  it('has cert-manager issue the webhook certificate the operator then mounts and reads', async () => {
    const objects = await template('--set', 'webhook.certManager.enabled=true');
    const certificates = objects.filter((o) => o.kind === 'Certificate');
    expect(certificates.map((c) => c.metadata.name).sort()).to.deep.equal(['canopy-webhook-ca', 'canopy-webhook-cert']);
    expect(
      objects
        .filter((o) => o.kind === 'Issuer')
        .map((i) => i.metadata.name)
        .sort(),
    ).to.deep.equal(['canopy-selfsigned', 'canopy-webhook-ca']);
    const serving = certificates.find((c) => c.metadata.name === 'canopy-webhook-cert') as unknown as { spec: { secretName: string; dnsNames: string[] } };
    expect(serving.spec.dnsNames).to.include(`canopy-webhook.${namespace}.svc`);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(envOf(deployment)['CANOPY_WEBHOOK_CERT_DIR']).to.equal('/etc/canopy/webhook-certs');
    expect(envOf(deployment)).to.not.have.property('CANOPY_WEBHOOK_CERT_SECRET');
    expect(deployment.spec?.template?.spec?.volumes).to.deep.equal([{ name: 'webhook-certs', secret: { secretName: serving.spec.secretName } }]);

    const external = await template(
      '--set',
      'webhook.certManager.enabled=true',
      '--set',
      'webhook.certManager.issuerRef.kind=ClusterIssuer',
      '--set',
      'webhook.certManager.issuerRef.name=corp-ca',
    );
    expect(external.filter((o) => o.kind === 'Issuer')).to.have.length(0);
    expect((external.find((o) => o.kind === 'Certificate') as unknown as { spec: { issuerRef: unknown } }).spec.issuerRef).to.deep.equal({
      kind: 'ClusterIssuer',
      name: 'corp-ca',
    });
  });

  it('serves the tenant gateway behind <fullname>-gateway:443 and points tenant kubeconfigs at it, unless told otherwise', async () => {
    const objects = await template();
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'canopy-gateway') as unknown as {
      spec: { type: string; ports: { port: number; targetPort: string }[] };
    };
    expect(service.spec.type).to.equal('ClusterIP');
    expect(service.spec.ports).to.deep.equal([{ name: 'https', port: 443, targetPort: 'gateway' }]);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const container = deployment.spec!.template!.spec!.containers![0]! as Container & { ports?: { name: string; containerPort: number }[] };
    expect(container.ports).to.deep.include({ name: 'gateway', containerPort: 9444 });
    const env0 = envOf(deployment);
    expect(env0).to.include({
      CANOPY_GATEWAY: 'true',
      CANOPY_TENANT_KUBECONFIG: 'gateway',
      CANOPY_GATEWAY_PORT: '9444',
      CANOPY_GATEWAY_EXTERNAL_URL: `https://canopy-gateway.${namespace}.svc`,
      CANOPY_GATEWAY_CERT_SECRET: 'canopy-gateway-tls',
    });
    expect(env0['CANOPY_GATEWAY_SERVICE_DNS_NAMES']!.split(',')).to.include.members(['canopy-gateway', `canopy-gateway.${namespace}.svc`]);

    // cert-manager: the gateway's own CA chain, names of the Service and the extra ones (IPs as ipAddresses), mounted.
    const managed = await template(
      '--set',
      'gateway.certManager.enabled=true',
      '--set',
      'gateway.externalUrl=https://canopy.example.com',
      '--set',
      'gateway.extraDnsNames={canopy.example.com,192.0.2.7}',
      '--set',
      'gateway.service.type=LoadBalancer',
    );
    const cert = managed.find((o) => o.kind === 'Certificate' && o.metadata.name === 'canopy-gateway-cert') as unknown as {
      spec: { secretName: string; dnsNames: string[]; ipAddresses: string[]; issuerRef: { name: string } };
    };
    expect(cert.spec.dnsNames).to.include.members([`canopy-gateway.${namespace}.svc`, 'canopy.example.com']);
    expect(cert.spec.ipAddresses).to.deep.equal(['192.0.2.7']);
    expect(cert.spec.issuerRef.name).to.equal('canopy-gateway-ca');
    const managedDeployment = managed.find((o) => o.kind === 'Deployment')!;
    expect(envOf(managedDeployment)).to.include({
      CANOPY_GATEWAY_CERT_DIR: '/etc/canopy/gateway-certs',
      CANOPY_GATEWAY_EXTERNAL_URL: 'https://canopy.example.com',
    });
    expect(envOf(managedDeployment)).to.not.have.property('CANOPY_GATEWAY_CERT_SECRET');
    expect(managedDeployment.spec?.template?.spec?.volumes).to.deep.equal([{ name: 'gateway-certs', secret: { secretName: cert.spec.secretName } }]);
    expect((managed.find((o) => o.metadata.name === 'canopy-gateway') as unknown as { spec: { type: string } }).spec.type).to.equal('LoadBalancer');

    // Direct kubeconfigs on request, and always without the gateway.
    expect(envOf((await template('--set', 'tenantKubeconfig=direct')).find((o) => o.kind === 'Deployment')!)['CANOPY_TENANT_KUBECONFIG']).to.equal('direct');
    const off = await template('--set', 'gateway.enabled=false');
    expect(off.map((o) => o.metadata.name)).to.not.include('canopy-gateway');
    const offEnv = envOf(off.find((o) => o.kind === 'Deployment')!);
    expect(offEnv).to.include({ CANOPY_GATEWAY: 'false', CANOPY_TENANT_KUBECONFIG: 'direct' });
    expect(Object.keys(offEnv).filter((k) => k.startsWith('CANOPY_GATEWAY_'))).to.deep.equal([]);

    const both = await failureOf(helm, ['template', 'canopy', chartDir, '--set', 'gateway.certManager.enabled=true', '--set', 'gateway.existingSecret=mine']);
    expect(both.stderr).to.contain('exclusive');
    const plain = await failureOf(helm, ['template', 'canopy', chartDir, '--set', 'gateway.externalUrl=http://canopy.example.com']);
    expect(plain.stderr).to.contain('externalUrl');
  });

  it("renders helm test hooks: a Pod running the chart's check as a ServiceAccount allowed only that", async () => {
    const hooks = (await template()).filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(hooks.map((h) => h.kind).sort()).to.deep.equal(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Pod', 'ServiceAccount']);
    const pod = hooks.find((h) => h.kind === 'Pod') as unknown as {
      spec: { serviceAccountName: string; restartPolicy: string; containers: { image: string; command: string[] }[] };
    };
    expect(pod.spec.serviceAccountName).to.equal('canopy-test');
    expect(pod.spec.restartPolicy).to.equal('Never');
    expect(pod.spec.containers[0]!.command).to.deep.equal(['node', '/canopy-test/check.mjs']);
    expect(pod.spec.containers[0]!.image).to.equal('ghcr.io/canopy-dev/canopy:0.1.0');
    const role = hooks.find((h) => h.kind === 'ClusterRole') as unknown as { rules: { verbs: string[] }[] };
    expect(role.rules.flatMap((r) => r.verbs).sort()).to.deep.equal(['create', 'get', 'get']);
  });
});
