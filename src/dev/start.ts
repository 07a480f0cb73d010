import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LaunchError, LocalEnvironment, repoRoot } from '../../controlplane/launcher/index.js';
import { installCrds } from './manifests.js';
import { registerMembers } from './register.js';
import { clearDevState, devDir, runningDevState, writeDevState } from './state.js';

/**
 * `npm start`. Without KUBECONFIG: brings up the embedded local environment
 * (host + three members on loopback), installs the CRDs, registers the members
 * as Clusters and runs the operator against the host. With KUBECONFIG: runs the
 * operator against that cluster only.
 */
async function main(): Promise<void> {
  const withOperator = !process.argv.includes('--no-operator');
  if (process.env.KUBECONFIG) {
    console.log(`canopy: KUBECONFIG is set; running the operator against ${process.env.KUBECONFIG}`);
    const operator = startOperator(process.env.KUBECONFIG);
    forwardSignals(async (signal) => stopChild(operator, signal));
    process.exitCode = (await exitOf(operator)) ?? 1;
    return;
  }

  const running = runningDevState();
  if (running) {
    throw new LaunchError(`a local environment is already running (pid ${running.pid}); use it, or stop it with npm run dev:down`);
  }
  mkdirSync(devDir, { recursive: true });
  // Every start is a fresh environment: state of an earlier run (its tokens and signing keys are gone) would only half work.
  rmSync(join(devDir, 'state'), { recursive: true, force: true });
  console.log('canopy: starting the local control plane (host + members eu-1, eu-2, us-1)...');
  const env = await LocalEnvironment.start({ stateDir: join(devDir, 'state'), kubeconfigDir: devDir });
  let operator: ChildProcess | undefined;
  const shutdown = async (signal?: NodeJS.Signals) => {
    if (operator) await stopChild(operator, signal);
    await env.stop();
    clearDevState();
  };
  forwardSignals(shutdown);
  try {
    writeDevState({ pid: process.pid, startedAt: new Date().toISOString(), clusters: env.clusters.map((c) => c.name) });
    const host = env.host.kubeConfig();
    await installCrds(host, join(repoRoot, 'config', 'crd'));
    await registerMembers(host, env.members);
  } catch (err) {
    await shutdown();
    throw err;
  }

  const kubeconfig = relative(process.cwd(), join(devDir, 'host.kubeconfig'));
  const kubectl = relative(process.cwd(), join(repoRoot, '.canopy', 'bin', 'kubectl'));
  console.log(
    [
      '',
      'canopy: local environment ready',
      ...env.clusters.map((c) => `  ${c.name.padEnd(5)} ${c.server}  kubeconfig ${relative(process.cwd(), join(devDir, `${c.name}.kubeconfig`))}`),
      '',
      'Use it:',
      `  export KUBECONFIG=${kubeconfig}`,
      `  ${kubectl} get clusters,workspaces,logicalclusters`,
      `  ${kubectl} apply -f examples/quickstart/`,
      '',
      withOperator ? 'The operator runs below; Ctrl-C (or npm run dev:down) stops everything.' : 'Operator not started (--no-operator); npm run dev:down stops everything.',
      '',
    ].join('\n'),
  );
  if (withOperator) {
    operator = startOperator(join(devDir, 'host.kubeconfig'));
    const code = await exitOf(operator);
    operator = undefined;
    if (stopping) return; // a signal is stopping everything; its handler exits
    console.error(`canopy: the operator exited with code ${code}; stopping the local environment`);
    await shutdown();
    process.exitCode = code ?? 1;
  }
}

function startOperator(kubeconfig: string): ChildProcess {
  const entry = join(repoRoot, 'src', 'main.ts');
  if (!existsSync(entry)) throw new LaunchError('src/main.ts is missing; the operator cannot start');
  // Loopback ports chosen by the kernel, so a second checkout or a busy 8080 never collides.
  const env = { CANOPY_WEBHOOK_PORT: '0', CANOPY_METRICS_PORT: '0', CANOPY_HEALTH_PORT: '0', CANOPY_BIND_ADDRESS: '127.0.0.1', ...process.env, KUBECONFIG: kubeconfig };
  // The image's V8 setting (see docs/benchmarks.md, informer sync): a small young generation keeps RSS down.
  return spawn(process.execPath, ['--max-semi-space-size=8', '--import', 'tsx', entry], { stdio: 'inherit', env });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** How long a child that got the terminal's Ctrl-C itself is left to finish its graceful shutdown. */
const OWN_SHUTDOWN_GRACE_MS = 8_000;

/**
 * Stops the operator. Ctrl-C reaches the whole foreground process group, so
 * on SIGINT the operator is already shutting down: a SIGTERM on top would
 * count as a second signal and make it exit without draining. It gets a
 * grace period first; SIGTERM follows only if it is still running.
 */
async function stopChild(child: ChildProcess, signal?: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  let kill: NodeJS.Timeout | undefined;
  const term = () => {
    child.kill('SIGTERM');
    kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
  };
  const grace = signal === 'SIGINT' ? setTimeout(term, OWN_SHUTDOWN_GRACE_MS) : (term(), undefined);
  await exited;
  clearTimeout(grace);
  clearTimeout(kill);
}

/** Set once a signal started stopping everything. */
let stopping = false;

function forwardSignals(shutdown: (signal: NodeJS.Signals) => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`\ncanopy: ${signal}: stopping...`);
      shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`canopy: error while stopping: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  const message = err instanceof LaunchError ? err.message : ((err as Error).stack ?? String(err));
  console.error(`canopy: ${message}`);
  process.exit(1);
});
