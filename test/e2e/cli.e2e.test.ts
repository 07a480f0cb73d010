/**
 * kubectl-canopy as users run it: the compiled plugin (dist/cli, built here
 * with the same tsc call as `npm install`'s prepare script) in its own
 * process, against the shared environment's real apiservers, for every
 * command, with its exit code, stdout and stderr.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { freePort } from '../../controlplane/launcher/ports.js';
import { ApiClient, Resources, type KubeObject } from '../../src/runtime/index.js';
import { deleteIfExists, logicalClusterObject, waitForPhase, waitGone, workspaceObject } from '../support/logicalcluster.js';
import { eventually, type PropagatedObjectView } from '../support/propagation.js';
import { testEnv, uniqueName } from './env.js';

const exec = promisify(execFile);
const BIN = join(repoRoot, 'bin', 'kubectl-canopy.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The plugin as kubectl runs it (a subprocess), on the Node that runs the tests; never throws. */
async function plugin(args: readonly string[], options: { node?: string; input?: string } = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(options.node ?? process.execPath, [BIN, ...args], {
      cwd: tmpdir(),
      env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as ExecFileException & { stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

const admin = () => ['--kubeconfig', testEnv().host.kubeconfigPath];

/** A failure: exit 1, nothing on stdout, one line on stderr. */
function expectFailure(run: Run, message: string | RegExp): void {
  expect(run.code, run.stderr).to.equal(1);
  expect(run.stdout).to.equal('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).to.have.length(1);
  if (typeof message === 'string') expect(lines[0]).to.contain(message);
  else expect(lines[0]).to.match(message);
}

describe('kubectl-canopy, the compiled plugin (e2e)', function () {
  this.timeout(240_000);
  const host = () => new ApiClient(testEnv().host.kubeConfig());
  const root = uniqueName('cli-org');
  const child = `${root}-team`;
  const lc = uniqueName('cli-shop');
  const cm = 'web';
  const policy = uniqueName('cli-pci');
  const dir = mkdtempSync(join(tmpdir(), 'canopy-cli-'));
  const tenantKubeconfig = join(dir, 'tenant.kubeconfig');

  before(async () => {
    // The same compile as `npm install` (package.json prepare), so the run tests the current sources.
    await exec(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.cli.json'], { cwd: repoRoot });
    const client = host();
    await client.create(Resources.Workspace, workspaceObject(root) as KubeObject);
    await client.create(Resources.Workspace, workspaceObject(child, { parent: root }) as KubeObject);
    await client.create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', workspace: root, labelSelector: { matchLabels: { app: cm } } }],
        clusterSelector: { matchLabels: { 'compliance/pci': 'true' } },
      },
    } as KubeObject);
    await client.create(Resources.LogicalCluster, logicalClusterObject(lc, { workspace: child, capabilities: { preset: 'viewer' } }) as KubeObject);
    await waitForPhase(client, lc, 'Ready');
    await client.create(Resources.ConfigMap, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: cm, namespace: lc, labels: { app: cm } },
      data: { greeting: 'hello' },
    } as KubeObject);
    await eventually('the ConfigMap placed on eu-1', async () => {
      const po = await client.tryGet<PropagatedObjectView>(Resources.PropagatedObject, `${cm}-configmap`, lc);
      return po?.status?.placement?.some((p) => p.cluster === 'eu-1') ? po : undefined;
    });
  });

  after(async () => {
    const client = host();
    await client.delete(Resources.ConfigMap, cm, lc).catch(() => undefined);
    await deleteIfExists(client, Resources.LogicalCluster, lc);
    await waitGone(client, lc).catch(() => undefined);
    await deleteIfExists(client, Resources.PlacementPolicy, policy);
    await deleteIfExists(client, Resources.Workspace, child);
    await deleteIfExists(client, Resources.Workspace, root);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('start-up', () => {
    it('--help lists every command; --version prints the package version', async () => {
      const help = await plugin(['--help']);
      expect(help.code).to.equal(0);
      for (const command of ['tree', 'explain', 'who-runs-where', 'what-if', 'kubeconfig', 'join', 'unjoin', 'completion', 'dev'])
        expect(help.stdout).to.match(new RegExp(`^  ${command}\\b`, 'm'));
      const version = await plugin(['--version']);
      expect(version).to.deep.equal({ code: 0, stdout: `${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}\n`, stderr: '' });
    });

    it('on a Node older than 22.12 it says so in one line instead of crashing', async function () {
      const old = '/usr/bin/node';
      if (!existsSync(old)) this.skip();
      const { stdout } = await exec(old, ['-p', 'process.versions.node']);
      const [major, minor] = stdout.trim().split('.').map(Number);
      if (major! > 22 || (major === 22 && minor! >= 12)) this.skip();
      const run = await plugin(['--help'], { node: old });
      expectFailure(run, `kubectl-canopy needs Node.js 22.12 or newer; ${old} is v${stdout.trim()}.`);
    });

    it('the krew manifest installs this version and names a bin that exists', () => {
      const manifest = parseYaml(readFileSync(join(repoRoot, 'plugins', 'krew', 'canopy.yaml'), 'utf8')) as {
        spec: { version: string; platforms: { bin: string }[] };
      };
      expect(manifest.spec.version).to.equal(`v${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}`);
      for (const platform of manifest.spec.platforms) expect(existsSync(join(repoRoot, platform.bin)), platform.bin).to.equal(true);
    });

    it('dev up and dev down describe themselves (running them would stop a developer environment)', async () => {
      for (const sub of ['up', 'down']) {
        const run = await plugin(['dev', sub, '--help']);
        expect(run.code).to.equal(0);
        expect(run.stdout).to.contain(`Usage: kubectl-canopy dev ${sub}`);
      }
    });

    it('refuses an unknown command, an unknown flag and a bad -o value with exit 1', async () => {
      for (const args of [['frobnicate'], ['tree', '--frob'], ['tree', '-o', 'xml']]) {
        const run = await plugin([...admin(), ...args]);
        expect(run.code, args.join(' ')).to.equal(1);
        expect(run.stderr).to.match(/^error: /);
      }
    });
  });

  describe('connection errors', () => {
    it('an apiserver that does not answer: exit 1 and one line naming it', async () => {
      const port = await freePort();
      const closed = join(dir, 'closed.kubeconfig');
      writeFileSync(
        closed,
        readFileSync(testEnv().host.kubeconfigPath, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`),
      );
      expectFailure(await plugin(['--kubeconfig', closed, 'tree']), `error: cannot reach the apiserver at https://127.0.0.1:${port} (ECONNREFUSED)`);
    });

    it('a kubeconfig file or context that does not exist', async () => {
      expectFailure(await plugin(['--kubeconfig', join(dir, 'missing'), 'tree']), `kubeconfig ${join(dir, 'missing')} does not exist`);
      expectFailure(await plugin([...admin(), '--context', 'nope', 'tree']), 'context "nope" is not in the kubeconfig');
    });
  });

  describe('tree', () => {
    it('draws a real subtree with its logical cluster', async () => {
      const run = await plugin([...admin(), 'tree', root]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout.trimEnd().split('\n')).to.deep.equal([root, `└── ${child}`, `    └── (lc) ${lc} Ready`]);
    });

    it('-o json and -o yaml give the same tree as data', async () => {
      const json = JSON.parse((await plugin([...admin(), 'tree', root, '-o', 'json'])).stdout);
      expect(json).to.deep.equal([
        {
          name: root,
          ready: 'True',
          logicalClusters: [],
          children: [{ name: child, ready: 'True', logicalClusters: [{ name: lc, phase: 'Ready' }], children: [] }],
        },
      ]);
      expect(parseYaml((await plugin([...admin(), 'tree', root, '-o', 'yaml'])).stdout)).to.deep.equal(json);
    });

    it('a workspace that does not exist: exit 1', async () => {
      expectFailure(await plugin([...admin(), 'tree', 'no-such-workspace']), 'error: workspace no-such-workspace not found');
    });
  });

  describe('explain', () => {
    it('says where a plain object runs and why, and where not', async () => {
      const run = await plugin([...admin(), 'explain', `configmap/${cm}`, '-n', lc]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.equal('');
      expect(run.stdout).to.contain(`ConfigMap ${lc}/${cm} (PropagatedObject ${cm}-configmap)`);
      expect(run.stdout).to.contain(`policy: ${policy} (priority 0)`);
      expect(run.stdout).to.match(/runs on:\n {2}eu-1: /);
      expect(run.stdout).to.match(/not on:\n(.|\n)*eu-2: \[ClusterSelector\]/);
      const data = JSON.parse((await plugin([...admin(), 'explain', cm, '-n', lc, '-o', 'json'])).stdout);
      expect(data.policy).to.equal(policy);
      expect(data.placement.map((p: { cluster: string }) => p.cluster)).to.deep.equal(['eu-1']);
    });

    it('nothing placed under that name: exit 1', async () => {
      expectFailure(await plugin([...admin(), 'explain', 'no-such-app', '-n', lc]), `error: nothing placed as ${lc}/no-such-app`);
    });

    it("with the tenant's kubeconfig (fetched by `kubeconfig`): its context's namespace, what it may read, and one line saying what it may not", async () => {
      const write = await plugin([...admin(), 'kubeconfig', lc, '--write', tenantKubeconfig]);
      expect(write.code, write.stderr).to.equal(0);
      expect(write.stderr).to.equal(`wrote the kubeconfig of logical cluster ${lc} to ${tenantKubeconfig}\n`);
      expect(statSync(tenantKubeconfig).mode & 0o777).to.equal(0o600);
      const run = await plugin(['--kubeconfig', tenantKubeconfig, 'explain', `configmap/${cm}`]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.contain(`ConfigMap ${lc}/${cm}`);
      expect(run.stdout).to.match(/runs on:\n {2}eu-1: /);
      expect(run.stderr).to.equal(
        "note: this kubeconfig may not list clusters or placementpolicies, so this is the PropagatedObject's own status without cluster health or policy details\n",
      );
    });
  });

  describe('kubeconfig', () => {
    // After explain's tenant test, which wrote tenantKubeconfig with `kubeconfig --write`.
    it('prints the tenant kubeconfig, whose token the apiserver accepts for the logical cluster only', async () => {
      const run = await plugin([...admin(), 'kubeconfig', lc]);
      expect(run.code, run.stderr).to.equal(0);
      const document = parseYaml(run.stdout) as { contexts: { context: { namespace: string } }[] };
      expect(document.contexts[0]!.context.namespace).to.equal(lc);
      // Its own namespace's placements it may read, and through the gateway its namespaces (so the workspace column is
      // filled); Clusters it may not, and a question about them is refused as cluster-scoped, outside the logical cluster.
      const own = await plugin(['--kubeconfig', tenantKubeconfig, 'who-runs-where']);
      expect(own.code, own.stderr).to.equal(0);
      expect(own.stdout.trimEnd().split('\n')[1]).to.match(new RegExp(`^${child}\\s+${lc}\\s+ConfigMap\\s+web\\s+eu-1$`));
      expect(own.stderr).to.equal("note: this kubeconfig may not list clusters, so this comes from the PropagatedObjects' own status\n");
      expectFailure(
        await plugin(['--kubeconfig', tenantKubeconfig, 'who-runs-where', '--region', 'eu-1']),
        new RegExp(`^error: Error from server \\(Forbidden\\): .*clusters\\.canopy\\.dev is cluster-scoped, outside logical cluster ${lc} `),
      );
      expectFailure(
        await plugin(['--kubeconfig', tenantKubeconfig, 'what-if', '--lose-cluster', 'eu-1']),
        new RegExp(
          `^error: Error from server \\(Forbidden\\): .*(cannot list resource "placementpolicies"|(workspaces|logicalclusters|clusters)\\.canopy\\.dev is cluster-scoped, outside logical cluster ${lc} )`,
        ),
      );
    });

    it('a logical cluster that does not exist: exit 1', async () => {
      expectFailure(await plugin([...admin(), 'kubeconfig', 'no-such-lc']), 'error: logical cluster no-such-lc not found');
    });
  });

  describe('who-runs-where', () => {
    it('an aligned table with headers, across namespaces with -A; a!=b is a real selector', async () => {
      const run = await plugin([...admin(), 'who-runs-where', '-A', '--selector', 'compliance/pci=true', '--workspace', child]);
      expect(run.code, run.stderr).to.equal(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).to.match(/^WORKSPACE\s+NAMESPACE\s+KIND\s+NAME\s+CLUSTERS$/);
      expect(lines.slice(1)).to.deep.equal([`${`${child}   ${lc}`.padEnd(lines[0]!.indexOf('KIND'))}ConfigMap   web    eu-1`]);
      const not = await plugin([...admin(), 'who-runs-where', '-n', lc, '--selector', 'compliance/pci!=true']);
      expect(not).to.deep.equal({ code: 0, stdout: '', stderr: `No objects on matching clusters found in ${lc} namespace.\n` });
      const yaml = parseYaml((await plugin([...admin(), 'who-runs-where', '-n', lc, '--region', 'eu-1', '-o', 'yaml'])).stdout) as {
        object: { name: string };
      }[];
      expect(yaml.map((r) => r.object.name)).to.deep.equal([cm]);
    });

    it('a selector it cannot read: exit 1, before any request', async () => {
      expectFailure(await plugin([...admin(), 'who-runs-where', '-A', '--selector', 'tier in (gold']), 'error: --selector: invalid selector "tier in (gold"');
    });
  });

  describe('what-if', () => {
    it('the pci label removed from eu-1: the object becomes unschedulable, decided by the engine', async () => {
      const run = await plugin([...admin(), 'what-if', '-n', lc, '--cluster', 'eu-1', '--remove-label', 'compliance/pci', '-o', 'wide']);
      expect(run.code, run.stderr).to.equal(0);
      const [header, row, ...rest] = run.stdout.trimEnd().split('\n');
      expect(header).to.match(/^WORKSPACE\s+NAMESPACE\s+KIND\s+NAME\s+NOW\s+AFTER\s+RESULT\s+WHY$/);
      expect(row).to.match(new RegExp(`^${child}\\s+${lc}\\s+ConfigMap\\s+web\\s+eu-1\\s+-\\s+Unschedulable\\s+\\S`));
      expect(rest).to.deep.equal([]);
      const old = await plugin([...admin(), 'who-runs-where', '-n', lc, '--if-cluster', 'eu-1', '--loses-label', 'compliance/pci', '-o', 'json']);
      expect(JSON.parse(old.stdout).objects.map((o: { name: string; outcome: string }) => [o.name, o.outcome])).to.deep.equal([[cm, 'Unschedulable']]);
    });

    it('a label eu-2 gets adds it; losing eu-1 moves the object there', async () => {
      const add = JSON.parse((await plugin([...admin(), 'what-if', '-n', lc, '--cluster', 'eu-2', '--set-label', 'compliance/pci=true', '-o', 'json'])).stdout);
      expect(add.objects.map((o: { outcome: string; message: string }) => [o.outcome, o.message])).to.deep.equal([['Moves', 'to eu-2']]);
      const lose = await plugin([...admin(), 'what-if', '-n', lc, '--lose-cluster', 'eu-1', '-o', 'json']);
      expect(JSON.parse(lose.stdout).objects.map((o: { outcome: string }) => o.outcome)).to.deep.equal(['Unschedulable']);
      const taint = await plugin([...admin(), 'what-if', '-n', lc, '--cluster', 'eu-2', '--taint', 'maintenance:NoSchedule']);
      expect(taint).to.deep.include({ code: 0, stdout: '' });
      expect(taint.stderr).to.equal(`no object in ${lc} namespace would change if eu-2 gets taint maintenance:NoSchedule\n`);
      const price = await plugin([...admin(), 'what-if', '-A', '--cluster', 'eu-1', '--price', 'cpuHour=9']);
      expect(price.code, price.stderr).to.equal(0);
    });

    it('a cluster that does not exist, or a change it cannot read: exit 1', async () => {
      expectFailure(await plugin([...admin(), 'what-if', '--lose-cluster', 'mars-1']), 'error: cluster mars-1 not found');
      expectFailure(await plugin([...admin(), 'what-if', '--cluster', 'eu-1', '--taint', 'oops']), 'error: --taint: "oops" is not key[=value]:Effect');
      expectFailure(await plugin([...admin(), 'what-if']), 'error: what-if needs a change');
    });
  });

  describe('join and unjoin', () => {
    const name = uniqueName('joined');
    after(async () => {
      await deleteIfExists(host(), Resources.Cluster, name);
      await host()
        .delete(Resources.Secret, `${name}-kubeconfig`, 'canopy-system')
        .catch(() => undefined);
    });

    it('registers a member again under a new name: Secret, Cluster, Ready; unjoin removes both', async () => {
      const member = testEnv().members.find((m) => m.name === 'eu-2')!;
      const run = await plugin([
        ...admin(),
        'join',
        name,
        '--kubeconfig-file',
        member.kubeconfigPath,
        '--region',
        'eu-2',
        '--provider',
        'cloud-a',
        '--labels',
        'canopy.dev/joined=true',
        '--timeout',
        '90',
      ]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(new RegExp(`^cluster ${name} joined: /readyz ok, Kubernetes v1\\.`));
      const cluster = await host().get<KubeObject & { spec: Record<string, unknown> }>(Resources.Cluster, name);
      expect(cluster.metadata?.labels).to.deep.equal({ 'canopy.dev/joined': 'true', 'canopy.dev/managed-by': 'canopy' });
      expect(cluster.spec).to.deep.include({ region: 'eu-2', provider: 'cloud-a' });
      const secret = await host().get<KubeObject & { data: Record<string, string> }>(Resources.Secret, `${name}-kubeconfig`, 'canopy-system');
      expect(Buffer.from(secret.data['kubeconfig']!, 'base64').toString()).to.equal(readFileSync(member.kubeconfigPath, 'utf8'));

      const again = await plugin([...admin(), 'join', name, '--kubeconfig-file', member.kubeconfigPath, '--region', 'eu-2']);
      expectFailure(again, `error: cluster ${name} is already registered`);

      const unjoin = await plugin([...admin(), 'unjoin', name]);
      expect(unjoin).to.deep.equal({ code: 0, stdout: `cluster ${name} unjoined (Cluster and Secret canopy-system/${name}-kubeconfig deleted)\n`, stderr: '' });
      expect(await host().tryGet(Resources.Secret, `${name}-kubeconfig`, 'canopy-system')).to.equal(undefined);
      expectFailure(await plugin([...admin(), 'unjoin', name]), `error: cluster ${name} not found`);
    });

    it('refuses a member kubeconfig that runs a program, and creates nothing', async () => {
      const execConfig = join(dir, 'exec.kubeconfig');
      const document = parseYaml(testEnv().members[0]!.kubeconfigYaml()) as { users: { user: Record<string, unknown> }[] };
      document.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws', args: ['eks', 'get-token'] } };
      writeFileSync(execConfig, JSON.stringify(document));
      const refused = uniqueName('refused');
      expectFailure(
        await plugin([...admin(), 'join', refused, '--kubeconfig-file', execConfig, '--region', 'eu-1']),
        'error: --kubeconfig-file uses users[0].user.exec, which runs a program inside the operator',
      );
      expect(await host().tryGet(Resources.Cluster, refused)).to.equal(undefined);
      expect(await host().tryGet(Resources.Secret, `${refused}-kubeconfig`, 'canopy-system')).to.equal(undefined);
    });

    it("a tenant's join is refused (Clusters are outside its logical cluster), and nothing is registered", async () => {
      const member = testEnv().members[0]!;
      const attempt = uniqueName('tenant-join');
      const run = await plugin(['--kubeconfig', tenantKubeconfig, 'join', attempt, '--kubeconfig-file', member.kubeconfigPath, '--region', 'eu-1']);
      expectFailure(run, new RegExp(`^error: Error from server \\(Forbidden\\): .*clusters\\.canopy\\.dev is cluster-scoped, outside logical cluster ${lc} `));
      expect(run.stderr).to.not.contain(member.token('admin'));
      expect(await host().tryGet(Resources.Cluster, attempt)).to.equal(undefined);
      expect(await host().tryGet(Resources.Secret, `${attempt}-kubeconfig`, 'canopy-system')).to.equal(undefined);
    });
  });

  describe('completion', () => {
    it('bash (and zsh and fish where installed) accept their scripts; an unknown shell is refused', async () => {
      const run = await plugin(['completion', 'bash']);
      expect(run.code).to.equal(0);
      const script = join(dir, 'completion.bash');
      writeFileSync(script, run.stdout);
      await exec('bash', ['-n', script]);
      // Sourcing it registers the function; completing "what-if --lo" offers --lose-cluster.
      const { stdout } = await exec('bash', [
        '-c',
        `source ${script}; COMP_WORDS=(kubectl-canopy what-if --lo); COMP_CWORD=2; _kubectl_canopy; echo "\${COMPREPLY[@]}"`,
      ]);
      expect(stdout.trim()).to.equal('--lose-cluster');
      for (const shell of ['zsh', 'fish']) {
        const generated = await plugin(['completion', shell]);
        expect(generated.stdout).to.contain('what-if');
        // Where the shell is installed, it must accept its script too.
        const installed = await exec('sh', ['-c', `command -v ${shell}`]).then(
          () => true,
          () => false,
        );
        if (!installed) continue;
        const file = join(dir, `completion.${shell}`);
        writeFileSync(file, generated.stdout);
        await exec(shell, ['-n', file]);
        if (shell === 'fish')
          expect((await exec('fish', ['-c', `source ${file}; complete -C 'kubectl-canopy completion '`])).stdout.split('\n').filter(Boolean)).to.deep.equal([
            'bash',
            'fish',
            'zsh',
          ]);
      }
      expectFailure(await plugin(['completion', 'tcsh']), 'error: completion: unknown shell "tcsh"; one of bash, zsh, fish');
    });
  });
});
