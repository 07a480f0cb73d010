import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LaunchError, LocalEnvironment, repoRoot } from '../../controlplane/launcher/index.js';
import { installCrds } from './manifests.js';
import { OperatorLogSummary } from './operator-log.js';
import { quickstartCommands } from './readme-commands.js';
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
    const operator = startOperator(process.env.KUBECONFIG, undefined);
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
  const env = await LocalEnvironment.start({ stateDir: join(devDir, 'state'), kubeconfigDir: devDir, progress: (line) => console.log(`canopy: ${line}`) });
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

  const operatorLog = join(devDir, 'operator.log');
  const here = (path: string) => relative(process.cwd(), path) || '.';
  console.log(
    [
      '',
      'canopy: local environment ready',
      ...env.clusters.map((c) => `  ${c.name.padEnd(5)} ${c.server}  kubeconfig ${here(join(devDir, `${c.name}.kubeconfig`))}`),
      '',
      // The quickstart's own commands (examples/quickstart/README.md): they only add tenant objects, never touch the members' registration.
      'Use it (the quickstart, examples/quickstart/README.md):',
      `  export KUBECONFIG=$PWD/${here(join(devDir, 'host.kubeconfig'))} PATH=$PWD/${here(join(repoRoot, '.canopy', 'bin'))}:$PATH`,
      '  kubectl get clusters',
      ...quickstartCommands().map((c) => `  ${c}`),
      '',
      withOperator
        ? `The operator runs; its JSON log: ${here(operatorLog)} (reconcile errors are summarised below). Ctrl-C (or npm run dev:down) stops everything.`
        : 'Operator not started (--no-operator); npm run dev:down stops everything.',
      '',
    ].join('\n'),
  );
  if (withOperator) {
    operator = startOperator(join(devDir, 'host.kubeconfig'), operatorLog);
    const code = await exitOf(operator);
    operator = undefined;
    if (stopping) return; // a signal is stopping everything; its handler exits
    console.error(`canopy: the operator exited with code ${code}; stopping the local environment`);
    await shutdown();
    process.exitCode = code ?? 1;
  }
}

/**
 * Runs the operator. With `logFile`, its JSON log goes there and the terminal
 * gets one readable line per error; without, the log is the terminal's.
 */
function startOperator(kubeconfig: string, logFile: string | undefined): ChildProcess {
  const entry = join(repoRoot, 'src', 'main.ts');
  if (!existsSync(entry)) throw new LaunchError('src/main.ts is missing; the operator cannot start');
  // Loopback ports chosen by the kernel, so a second checkout or a busy 8080 never collides.
  const env = {
    CANOPY_WEBHOOK_PORT: '0',
    CANOPY_METRICS_PORT: '0',
    CANOPY_HEALTH_PORT: '0',
    CANOPY_BIND_ADDRESS: '127.0.0.1',
    ...process.env,
    KUBECONFIG: kubeconfig,
  };
  // The image's V8 setting (see docs/benchmarks.md, informer sync): a small young generation keeps RSS down.
  const args = ['--max-semi-space-size=8', '--import', 'tsx', entry];
  if (!logFile) return spawn(process.execPath, args, { stdio: 'inherit', env });
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const log = createWriteStream(logFile, { flags: 'w' });
  const summary = new OperatorLogSummary((line) => console.log(`canopy: operator: ${line}`));
  child.stdout!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    summary.write(chunk.toString('utf8'));
  });
  // stderr is not the JSON log: a crash or a loader error, which belongs on the terminal as it is.
  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    process.stderr.write(chunk);
  });
  child.once('exit', () => log.end());
  return child;
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
  if (signal !== 'SIGINT') term();
  const grace = signal === 'SIGINT' ? setTimeout(term, OWN_SHUTDOWN_GRACE_MS) : undefined;
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
