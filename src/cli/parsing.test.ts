import { expect } from 'chai';
import { Command } from 'commander';
import { CliError, describeError } from './errors.js';
import { render, renderTable } from './format.js';
import { joinObjects, memberKubeconfig } from './join.js';
import { notReadyReason } from './kubeconfig-command.js';
import { buildProgram } from './main.js';
import { listScope, nothingFound } from './scope.js';
import { parseClusterSelector, parseLabelAssignments } from './selector.js';
import { matchesSelector } from '../kube/label-selector.js';
import { commandSpecs, completionScript } from './completion.js';
import { unreadableNote } from './who-runs-where-command.js';

const memberKubeconfigText = (user: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'm', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': 'Q0E=' } }],
    users: [{ name: 'u', user }],
    contexts: [
      { name: 'admin@m', context: { cluster: 'm', user: 'u' } },
      { name: 'other', context: { cluster: 'm', user: 'u', namespace: 'x' } },
    ],
    'current-context': 'admin@m',
  });

describe('kubectl-canopy parsing and output', () => {
  it('--selector reads every kubectl -l form, a!=b included', () => {
    const matches = (text: string, labels: Record<string, string>) => matchesSelector(parseClusterSelector(text), labels);
    expect(parseClusterSelector('a!=b').matchExpressions).to.deep.equal([{ key: 'a', operator: 'NotIn', values: ['b'] }]);
    expect(matches('a!=b', { a: 'c' })).to.equal(true);
    expect(matches('a!=b', { a: 'b' })).to.equal(false);
    expect(matches('a==b', { a: 'b' })).to.equal(true);
    expect(matches('compliance/pci=true', { 'compliance/pci': 'true' })).to.equal(true);
    expect(matches('tier in (gold, silver),zone notin (z1)', { tier: 'silver', zone: 'z2' })).to.equal(true);
    expect(matches('tier in (gold, silver),zone notin (z1)', { tier: 'silver', zone: 'z1' })).to.equal(false);
    expect(matches('gpu,!spot', { gpu: '' })).to.equal(true);
    expect(matches('gpu,!spot', { gpu: '', spot: 'true' })).to.equal(false);
    for (const bad of ['a=b=c', 'a in (x', 'a >< b', '=b', 'a in ()'])
      expect(() => parseClusterSelector(bad), bad).to.throw(CliError, /^--selector: invalid selector/);
  });

  it('label assignments are key=value only', () => {
    expect(parseLabelAssignments('a=b, compliance/pci=true,empty=', '--labels')).to.deep.equal({ a: 'b', 'compliance/pci': 'true', empty: '' });
    expect(() => parseLabelAssignments('a', '--labels')).to.throw(CliError, '--labels: "a" is not key=value');
  });

  it('tables are aligned under headers, <none> for empty cells, wide columns only with -o wide', () => {
    const columns = [
      { header: 'NAME', value: (r: { n: string; w: string }) => r.n },
      { header: 'WORKSPACE', value: (r: { n: string; w: string }) => r.w },
      { header: 'EXTRA', value: () => 'x', wide: true },
    ];
    const rows = [
      { n: 'web', w: 'team-a' },
      { n: 'database', w: '' },
    ];
    expect(renderTable(columns, rows)).to.equal(['NAME       WORKSPACE', 'web        team-a', 'database   <none>', ''].join('\n'));
    expect(renderTable(columns, rows, true).split('\n')[0]).to.equal('NAME       WORKSPACE   EXTRA');
    expect(JSON.parse(render('json', columns, rows))).to.deep.equal(rows);
    expect(render('yaml', columns, rows)).to.equal('- n: web\n  w: team-a\n- n: database\n  w: ""\n');
  });

  it('errors are one line: the apiserver words, or a hint for an apiserver that cannot be reached', () => {
    expect(describeError({ code: 404, body: { reason: 'NotFound', message: 'clusters.canopy.dev "x" not found' } })).to.equal(
      'Error from server (NotFound): clusters.canopy.dev "x" not found',
    );
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'https://127.0.0.1:1')).to.equal(
      'cannot reach the apiserver at https://127.0.0.1:1 (ECONNREFUSED): is the cluster running, and are the kubeconfig and context right?',
    );
    expect(describeError(new CliError('workspace x not found'))).to.equal('workspace x not found');
  });

  it('listing scope: -A, else -n, else all of a --workspace, else the context namespace', () => {
    expect(listScope({ namespace: 'ctx', namespaceGiven: false }, true)).to.equal(undefined);
    expect(listScope({ namespace: 'ctx', namespaceGiven: false }, undefined)).to.equal('ctx');
    expect(listScope({ namespace: 'ctx', namespaceGiven: false }, undefined, 'acme')).to.equal(undefined);
    expect(listScope({ namespace: 'given', namespaceGiven: true }, undefined, 'acme')).to.equal('given');
    expect(nothingFound('shop', 'objects')).to.equal('No objects found in shop namespace.');
  });

  it("a tenant's who-runs-where says in one line what it could not read", () => {
    expect(unreadableNote([])).to.equal(undefined);
    expect(unreadableNote(['clusters', 'namespaces'])).to.equal(
      "note: this kubeconfig may not list clusters or namespaces, so this comes from the PropagatedObjects' own status (without workspaces)",
    );
  });

  it('join builds the Secret and the Cluster, labelled as Canopy objects', () => {
    const { secret, cluster } = joinObjects({
      name: 'eu-3',
      kubeconfig: memberKubeconfigText({ token: 't' }),
      region: 'eu-3',
      provider: 'onprem',
      labels: 'compliance/pci=true',
    });
    expect(secret.metadata).to.deep.equal({ name: 'eu-3-kubeconfig', namespace: 'canopy-system', labels: { 'canopy.dev/managed-by': 'canopy' } });
    expect(cluster).to.deep.include({ apiVersion: 'canopy.dev/v1alpha1', kind: 'Cluster' });
    expect(cluster.metadata?.labels).to.deep.equal({ 'compliance/pci': 'true', 'canopy.dev/managed-by': 'canopy' });
    expect((cluster as unknown as { spec: unknown }).spec).to.deep.equal({
      kubeconfigSecretRef: { name: 'eu-3-kubeconfig', namespace: 'canopy-system', key: 'kubeconfig' },
      region: 'eu-3',
      provider: 'onprem',
    });
  });

  it('join refuses a member kubeconfig that runs a program or reads a file, and bad names, before anything is sent', () => {
    expect(() => memberKubeconfig(memberKubeconfigText({ exec: { command: 'aws' } }))).to.throw(CliError, /users\[0\]\.user\.exec, which runs a program/);
    expect(() => memberKubeconfig(memberKubeconfigText({ tokenFile: '/var/run/token' }))).to.throw(CliError, /reads a file/);
    expect(() => memberKubeconfig('a: [')).to.throw(/not valid YAML/);
    expect(() => memberKubeconfig(memberKubeconfigText({ token: 't' }), 'nope')).to.throw(CliError, 'context "nope" is not in the kubeconfig');
    expect(memberKubeconfig(memberKubeconfigText({ token: 't' }), 'other')).to.contain('current-context: other');
    expect(() => joinObjects({ name: 'EU_3', kubeconfig: memberKubeconfigText({ token: 't' }), region: 'eu-3' })).to.throw(CliError, 'must be a DNS label');
    expect(() => joinObjects({ name: 'eu-3', kubeconfig: memberKubeconfigText({ token: 't' }), region: 'Europe 3' })).to.throw(CliError, '--region');
  });

  it('kubeconfig says why a logical cluster has none yet', () => {
    const lc = (status: object) =>
      ({ apiVersion: 'canopy.dev/v1alpha1', kind: 'LogicalCluster', metadata: { name: 'shop' }, spec: { workspace: 'w' }, status }) as never;
    expect(notReadyReason(lc({ phase: 'Ready', kubeconfigSecretRef: { name: 's', namespace: 'shop', key: 'kubeconfig' } }))).to.equal(undefined);
    expect(
      notReadyReason(lc({ phase: 'Initializing', conditions: [{ type: 'Ready', status: 'False', reason: 'Materializing', message: 'creating namespaces' }] })),
    ).to.equal('logical cluster shop is Initializing, not Ready: Materializing (creating namespaces); its kubeconfig is issued once it is Ready');
    expect(notReadyReason(lc({}))).to.contain('is Pending, not Ready');
  });

  it('completion lists every command and its flags, for each shell', () => {
    const program = buildProgram();
    const { commands, globals } = commandSpecs(program);
    expect(commands.map((c) => c.name)).to.include.members([
      'tree',
      'explain',
      'who-runs-where',
      'what-if',
      'kubeconfig',
      'join',
      'unjoin',
      'completion',
      'dev',
      'dev up',
      'dev down',
    ]);
    expect(globals.flatMap((f) => [f.short, f.long])).to.include.members(['--kubeconfig', '--context', '-n', '--namespace']);
    const bash = completionScript('bash', program);
    expect(bash).to.contain('complete -o default -F _kubectl_canopy kubectl-canopy');
    expect(bash).to.contain('--lose-cluster');
    expect(bash).to.match(/-o\|--output\) COMPREPLY=\(\$\(compgen -W "table wide json yaml"/);
    expect(completionScript('zsh', program)).to.match(/^#compdef kubectl-canopy/);
    expect(completionScript('fish', program)).to.contain("complete -c kubectl-canopy -n '__fish_use_subcommand' -a what-if");
    expect(() => completionScript('tcsh', program)).to.throw(CliError, 'unknown shell "tcsh"');
  });

  it('global flags are read after the subcommand too, as kubectl reads them', async () => {
    let seen: unknown;
    const program = buildProgram();
    const probe = new Command('probe').action((_o: unknown, c: Command) => {
      seen = c.optsWithGlobals();
    });
    program.addCommand(probe);
    await program.parseAsync(['probe', '-n', 'shop', '--context', 'c', '--kubeconfig', 'k'], { from: 'user' });
    expect(seen).to.deep.equal({ namespace: 'shop', context: 'c', kubeconfig: 'k' });
  });
});
