import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const liveProcesses = new Set<ManagedProcess>();
let exitHookInstalled = false;

/**
 * Last line of defence: if the launcher's process exits without stopping its
 * children (an uncaught error, process.exit in a test runner), kill them
 * synchronously. `supervise` covers the SIGKILL case that no hook can see.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const managed of liveProcesses) managed.killNow();
  });
}

export interface ManagedProcessOptions {
  /** Human name used in messages, e.g. "kube-apiserver (eu-1)". */
  readonly label: string;
  readonly binDir: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** One control-plane process, started under `supervise`, logging to a file. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private exited = true;

  constructor(readonly options: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.exited ? undefined : this.child?.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  start(): void {
    if (this.running) return;
    installExitHook();
    const { binDir, binary, args, logFile } = this.options;
    const log = openSync(logFile, 'a');
    const child = spawn(join(binDir, 'supervise'), [join(binDir, binary), ...args], {
      stdio: ['ignore', log, log],
      env: this.options.env ?? process.env,
    });
    closeSync(log);
    this.child = child;
    this.exited = false;
    liveProcesses.add(this);
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        liveProcesses.delete(this);
        resolve(code ?? (signal ? 128 : null));
      });
    });
  }

  /** Resolves with the exit code when the process ends on its own. */
  waitForExit(): Promise<number | null> {
    return this.exitPromise;
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once it is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running || !this.child) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  /** The last lines of the log, for error messages. */
  logTail(lines = 5): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
