/**
 * The operator as the chart runs it — a separate process (src/main.ts) — on a
 * private control plane, with what the hostile-input and audit suites watch
 * it by: its /healthz polled throughout, its resident memory sampled from
 * /proc, and its JSON log kept in a file to read back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_MEMBERS, LocalEnvironment, repoRoot, type LocalEnvironmentOptions } from '../../../controlplane/launcher/index.js';
import { installCrds } from '../../../src/dev/manifests.js';
import { registerMembers } from '../../../src/dev/register.js';

const logDir = join(repoRoot, '.canopy', 'test');

/** Host plus the named default members, CRDs installed and members registered as Clusters. */
export async function startPrivatePlane(
  members: readonly string[],
  options: Omit<LocalEnvironmentOptions, 'members' | 'quiet'> = {},
): Promise<LocalEnvironment> {
  const env = await LocalEnvironment.start({ ...options, members: DEFAULT_MEMBERS.filter((m) => members.includes(m.name)), quiet: true });
  try {
    await installCrds(env.host.kubeConfig(), join(repoRoot, 'config', 'crd'));
    await registerMembers(env.host.kubeConfig(), env.members);
  } catch (err) {
    await env.stop();
    throw err;
  }
  return env;
}

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The JSON log (stdout and stderr). */
  readonly logPath: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The /healthz and /readyz port, from the `manager started` line. */
  readonly healthPort: Promise<number>;
  /** Every JSON line logged so far (the file, re-read). */
  logLines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * CANOPY_CHAOS_PROFILE_DIR=<dir> runs the operator under `--cpu-prof` (Node refuses it in NODE_OPTIONS):
 * the profile is written there when the process exits, for finding what held its thread.
 */
export function startOperatorProcess(env: LocalEnvironment, name: string, extraEnv: Record<string, string> = {}): OperatorProcess {
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${name}-${process.pid}.log`);
  const log = createWriteStream(logPath);
  const profileDir = process.env['CANOPY_CHAOS_PROFILE_DIR'];
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KUBECONFIG: env.host.kubeconfigPath,
      CANOPY_POD_NAME: name,
      CANOPY_METRICS_PORT: '0',
      CANOPY_HEALTH_PORT: '0',
      CANOPY_WEBHOOK_PORT: '0',
      // Every replica serves the tenant gateway: on one machine each needs its own port.
      CANOPY_GATEWAY_PORT: '0',
      CANOPY_BIND_ADDRESS: '127.0.0.1',
      CANOPY_LEADER_ELECT: 'false',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const healthPort = new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.includes('"manager started"')) return;
      try {
        const port = (JSON.parse(line) as { healthPort?: number }).healthPort;
        if (port) resolve(port);
      } catch {
        // not JSON: keep looking
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`operator ${name} exited (${code ?? signal}) before it started; see ${logPath}`)));
  });
  healthPort.catch(() => undefined);
  return {
    child,
    pid: child.pid!,
    logPath,
    exited,
    healthPort,
    logLines: () => parseJsonLines(readFileSync(logPath, 'utf8')),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function parseJsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by a kill: not a record
    }
  }
  return out;
}

export interface HealthReport {
  readonly probes: number;
  readonly failures: number;
  /** Longest time between two green answers, ms. */
  readonly longestGapMs: number;
  /** The first few failures, as `<time> <what>`. */
  readonly failureSamples: readonly string[];
}

/**
 * Polls /healthz like a kubelet (period 1 s, timeout 5 s) until stopped. A
 * probe that is not 200 within the timeout is a failure.
 */
export function watchHealth(port: number, periodMs = 1000, timeoutMs = 5000): { stop(): Promise<HealthReport> } {
  let running = true;
  let probes = 0;
  let failures = 0;
  let lastGreen = performance.now();
  let longestGapMs = 0;
  const failureSamples: string[] = [];
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      probes++;
      try {
        const answer = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
        await answer.text();
        if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
        const now = performance.now();
        longestGapMs = Math.max(longestGapMs, now - lastGreen);
        lastGreen = now;
      } catch (err) {
        failures++;
        if (failureSamples.length < 10) failureSamples.push(`${new Date().toISOString()} ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, periodMs - (performance.now() - started))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { probes, failures, longestGapMs: Math.max(longestGapMs, performance.now() - lastGreen), failureSamples };
    },
  };
}

/** Samples VmRSS of a process from /proc every `periodMs`; `peakMiB` is the largest seen. */
export function sampleRss(pid: number, periodMs = 500): { stop(): { peakMiB: number; lastMiB: number; samples: number } } {
  let peakKiB = 0;
  let lastKiB = 0;
  let samples = 0;
  const read = (): void => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!match) return;
      lastKiB = Number(match[1]);
      peakKiB = Math.max(peakKiB, lastKiB);
      samples++;
    } catch {
      // the process is gone: its exit is reported elsewhere
    }
  };
  read();
  const timer = setInterval(read, periodMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return { peakMiB: peakKiB / 1024, lastMiB: lastKiB / 1024, samples };
    },
  };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
