import { Command, Option } from 'commander';
import type { GlobalOptions } from './session.js';
import { packageVersion } from './version.js';

/**
 * kubectl-canopy: a kubectl plugin (`kubectl canopy …` once on PATH), with
 * kubectl's connection and output flags. This file only declares the
 * commands: each one loads its implementation (and with it the API client,
 * the placement engine, the YAML printer) when it runs, so `--help`,
 * `--version` and `completion` start in tens of milliseconds.
 */
export function buildProgram(
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): Command {
  const program = new Command('kubectl-canopy')
    .description('Canopy: workspace trees, logical clusters, member clusters and where things run')
    .version(packageVersion(), '--version', 'print the version of the plugin')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: its current-context)')
    .option('-n, --namespace <namespace>', "namespace (default: the context's namespace, else default)")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(add --help for usage)');

  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();
  const output = (formats: readonly string[] = ['table', 'wide', 'json', 'yaml']) =>
    new Option('-o, --output <format>', `output format: ${formats.join('|')}`).choices(formats).default(formats[0]);
  const allNamespaces = () => new Option('-A, --all-namespaces', 'across every namespace');

  program
    .command('tree [workspace]')
    .description('the workspace tree (from a workspace, or every root) with its logical clusters')
    .addOption(output())
    .action(async (workspace: string | undefined, options: { output: string }, command: Command) => {
      const { treeCommand } = await import('./tree-command.js');
      out(await treeCommand(globals(command), workspace, options.output));
    });

  program
    .command('explain <target>')
    .description(
      'where an object runs and why, and where it does not and why: NAME or KIND/NAME of a plain object (deployment/web), or of the PropagatedObject itself (propagatedobject/web-deployment)',
    )
    .option('--kind <kind>', 'kind of the plain object, when names are ambiguous')
    .addOption(output(['text', 'json', 'yaml']))
    .action(async (target: string, options: { kind?: string; output: string }, command: Command) => {
      const { runExplain } = await import('./explain-command.js');
      const result = await runExplain(globals(command), target, options.kind, options.output);
      if (result.note) err(`${result.note}\n`);
      out(result.text);
    });

  program
    .command('rollout <action> <target>')
    .description(
      'a Rolling or Staged rollout of an object (NAME or KIND/NAME, as explain): status, pause, resume, undo (back to the previous revision), approve --stage S',
    )
    .option('--stage <name>', 'approve: the stage to release')
    .option('--kind <kind>', 'kind of the plain object, when names are ambiguous')
    .addOption(output(['text', 'json', 'yaml']))
    .action(async (action: string, target: string, options: { stage?: string; kind?: string; output: string }, command: Command) => {
      const { runRollout } = await import('./rollout-command.js');
      out(await runRollout(globals(command), action, target, options));
    });

  program
    .command('rebalance <target>')
    .description(
      'place again, ignoring stability and failback holds: an object (NAME or KIND/NAME, as explain), clusterpropagatedobject/NAME, or placementpolicy/NAME (every object it places)',
    )
    .option('--kind <kind>', 'kind of the plain object, when names are ambiguous')
    .action(async (target: string, options: { kind?: string }, command: Command) => {
      const { runRebalance } = await import('./rebalance-command.js');
      out(await runRebalance(globals(command), target, options));
    });

  program
    .command('who-runs-where')
    .description('objects running on the clusters that match: e.g. --region eu-1, --selector compliance/pci=true')
    .option('--region <regions>', 'comma-separated regions')
    .option('--provider <providers>', 'comma-separated providers')
    .option('-l, --selector <selector>', "cluster label selector, as kubectl -l: a=b, a!=b, 'a in (x,y)', 'a notin (x)', a, !a")
    .option('--workspace <name>', 'only objects of this workspace (across its namespaces)')
    .option('--if-cluster <name>', 'with --loses-label: what would move if this cluster lost the label (same as what-if --cluster X --remove-label L)')
    .option('--loses-label <key>', 'label key the cluster would lose')
    .addOption(allNamespaces())
    .addOption(output())
    .action(async (options: WhoRunsWhereFlags, command: Command) => {
      const { runWhoRunsWhere } = await import('./who-runs-where-command.js');
      const result = await runWhoRunsWhere(globals(command), options);
      if (result.note) err(`${result.note}\n`);
      out(result.text);
    });

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  program
    .command('what-if')
    .description('which objects would move, and which become unschedulable, if clusters changed: decided by the placement engine the operator runs')
    .option('--cluster <name>', 'the cluster that --set-label, --remove-label, --taint and --price change')
    .option('--set-label <key=value>', 'the cluster gets (or changes) this label; repeatable', collect)
    .option('--remove-label <key>', 'the cluster loses this label; repeatable', collect)
    .option('--taint <key[=value]:Effect>', 'the cluster gets this taint; repeatable', collect)
    .option('--price <key=amount,...>', 'the cluster is priced so: cpuHour, memoryGiBHour, loadBalancerHour')
    .option('--lose-cluster <name>', 'this cluster is gone; repeatable', collect)
    .addOption(allNamespaces())
    .addOption(output())
    .action(async (options: WhatIfFlags, command: Command) => {
      const { runWhatIf } = await import('./what-if-command.js');
      const result = await runWhatIf(globals(command), options);
      if (result.note) err(`${result.note}\n`);
      out(result.text);
    });

  program
    .command('kubeconfig <logical-cluster>')
    .description('the tenant kubeconfig of a Ready logical cluster (from the Secret its status names): printed, or written to a file')
    .option('--write <file>', 'write it to this file (mode 0600) instead of printing it')
    .action(async (name: string, options: { write?: string }, command: Command) => {
      const { runKubeconfig } = await import('./kubeconfig-command.js');
      const result = await runKubeconfig(globals(command), name, options.write);
      if (result.note) err(`${result.note}\n`);
      out(result.text);
    });

  program
    .command('join <cluster>')
    .description('register a member cluster: its kubeconfig goes into a Secret in canopy-system, a Cluster names it, and join waits for Ready')
    .requiredOption('--kubeconfig-file <file>', "the member's kubeconfig (credentials inline: no exec, auth-provider or file paths)")
    .requiredOption('--region <region>', 'region the cluster runs in (e.g. eu-3)')
    .option('--provider <provider>', 'who runs it (e.g. onprem, aws)')
    .option('--labels <k=v,...>', 'labels of the Cluster (e.g. compliance/pci=true)')
    .option('--cluster-context <name>', 'context of the member kubeconfig to use (default: its current-context)')
    .option('--timeout <seconds>', 'how long to wait for Ready (0: do not wait)', '120')
    .action(async (name: string, options: JoinFlags, command: Command) => {
      const { runJoin } = await import('./join-command.js');
      const result = await runJoin(globals(command), name, options, (line) => err(`${line}\n`));
      out(result.text);
    });

  program
    .command('unjoin <cluster>')
    .description(
      'unregister a member cluster: deletes the Cluster and the kubeconfig Secret join created (objects placed there are moved or removed by the operator)',
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const { runUnjoin } = await import('./join-command.js');
      out(await runUnjoin(globals(command), name));
    });

  program
    .command('completion <shell>')
    .description('shell completion script for bash, zsh or fish: e.g. source <(kubectl-canopy completion bash)')
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.js');
      out(completionScript(shell, program));
    });

  const dev = program.command('dev').description('the local environment of a source checkout (host + three members on loopback)');
  dev
    .command('up')
    .description('start it without the operator (npm run dev:up)')
    .action(async () => (await import('./dev-command.js')).runDevScript('start.ts', ['--no-operator']));
  dev
    .command('down')
    .description('stop what npm start / dev up started (npm run dev:down)')
    .action(async () => (await import('./dev-command.js')).runDevScript('down.ts', []));
  return program;
}

export interface WhoRunsWhereFlags {
  readonly region?: string;
  readonly provider?: string;
  readonly selector?: string;
  readonly workspace?: string;
  readonly ifCluster?: string;
  readonly losesLabel?: string;
  readonly allNamespaces?: boolean;
  readonly output: string;
}

export interface WhatIfFlags {
  readonly cluster?: string;
  readonly setLabel?: string[];
  readonly removeLabel?: string[];
  readonly taint?: string[];
  readonly price?: string;
  readonly loseCluster?: string[];
  readonly allNamespaces?: boolean;
  readonly output: string;
}

export interface JoinFlags {
  readonly kubeconfigFile: string;
  readonly region: string;
  readonly provider?: string;
  readonly labels?: string;
  readonly clusterContext?: string;
  readonly timeout: string;
}
