import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '../controllers/kubeconfig.js';
import { Command } from 'commander';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { explainCommand } from './explain-command.js';
import { loadSnapshot } from './snapshot.js';
import { renderTree } from './tree.js';
import { ifLabelRemoved, whoRunsWhere } from './queries.js';

/**
 * kubectl-canopy: a kubectl plugin (`kubectl canopy …` once on PATH).
 * Reads with the current kubeconfig, like kubectl, and writes nothing.
 */
export function buildProgram(out: (text: string) => void = (t) => process.stdout.write(t)): Command {
  const program = new Command('kubectl-canopy')
    .description('Canopy: workspace trees, logical clusters and where things run')
    .option('--kubeconfig <path>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)');
  const kubeConfig = () => {
    const kc = new KubeConfig();
    const path = program.opts<{ kubeconfig?: string }>().kubeconfig;
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    return kc;
  };

  program
    .command('tree [workspace]')
    .description('print the workspace tree (from a workspace, or every root) with its logical clusters')
    .action(async (workspace?: string) => out(renderTree(await loadSnapshot(kubeConfig()), workspace)));

  program
    .command('explain <name>')
    .description('where an object runs and why, where it does not and why: NAME or KIND/NAME of a plain object (deployment/web), or of the PropagatedObject itself (propagatedobject/web-deployment)')
    .option('-n, --namespace <ns>', 'namespace of the object', 'default')
    .option('--kind <kind>', 'kind of the plain object, when names are ambiguous')
    .action(async (name: string, options: { namespace: string; kind?: string }) => out(explainCommand(await loadSnapshot(kubeConfig(), options.namespace), options.namespace, name, options.kind)));

  program
    .command('who-runs-where')
    .description('objects running on clusters that match: e.g. --region eu-1, --selector compliance/pci=true, --if-cluster eu-1 --loses-label compliance/pci')
    .option('--region <regions>', 'comma-separated regions')
    .option('--selector <labels>', 'cluster label selector, k=v[,k=v]')
    .option('--workspace <name>', 'only objects of this workspace')
    .option('--if-cluster <name>', 'with --loses-label: what would move if this cluster lost the label')
    .option('--loses-label <key>', 'label key the cluster would lose')
    .action(async (options: { region?: string; selector?: string; workspace?: string; ifCluster?: string; losesLabel?: string }) => {
      const snapshot = await loadSnapshot(kubeConfig());
      if (options.ifCluster || options.losesLabel) {
        if (!options.ifCluster || !options.losesLabel) throw new Error('--if-cluster and --loses-label go together');
        out(ifLabelRemoved(snapshot, options.ifCluster, options.losesLabel));
        return;
      }
      const matchLabels = Object.fromEntries((options.selector ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
      out(whoRunsWhere(snapshot, { ...(options.region ? { regions: options.region.split(',') } : {}), labelSelector: { matchLabels } }, options.workspace));
    });

  const dev = program.command('dev').description('the local environment (host + three members on loopback)');
  dev.command('up').description('start it without the operator (npm run dev:up)').action(() => runScript('start.ts', ['--no-operator']));
  dev.command('down').description('stop what npm start / dev up started').action(() => runScript('down.ts', []));
  return program;
}

function runScript(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'dev', script), ...args], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
  });
}
