import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureTool, LaunchError, waitUntil } from '../../controlplane/launcher/index.js';
import { freePort } from '../../controlplane/launcher/ports.js';
import { ManagedProcess } from '../../controlplane/launcher/process.js';

/** One line of OPA's console decision log. */
export interface DecisionLogEntry {
  readonly path: string;
  readonly input?: unknown;
  readonly result?: unknown;
}

/**
 * A real `opa run --server` on loopback serving the policy files of
 * `policyDir`, with its decision log on the console (its log file). The
 * policy is copied under `stateDir` (the environment's canopy-env-* dir), so
 * a leaked process is found by the same leak check as the control plane's.
 */
export class OpaServer {
  private constructor(
    private readonly process: ManagedProcess,
    readonly url: string,
    private readonly logFile: string,
  ) {}

  static async start(policyDir: string, stateDir: string): Promise<OpaServer> {
    const opa = await ensureTool('opa', { quiet: true });
    const dir = join(stateDir, 'opa');
    mkdirSync(dir, { recursive: true });
    cpSync(policyDir, join(dir, 'policy'), { recursive: true });
    const port = await freePort();
    const logFile = join(dir, 'opa.log');
    const process = new ManagedProcess({
      label: 'opa',
      binDir: dirname(opa),
      binary: 'opa',
      logFile,
      args: [
        'run',
        '--server',
        `--addr=127.0.0.1:${port}`,
        '--log-format=json',
        '--set=decision_logs.console=true',
        '--disable-telemetry',
        join(dir, 'policy'),
      ],
    });
    process.start();
    const server = new OpaServer(process, `http://127.0.0.1:${port}`, logFile);
    const healthy = await waitUntil(30_000, 200, async () => !process.running || (await server.health()) === 200);
    if (!process.running || !healthy) {
      await process.stop();
      throw new LaunchError(`opa did not become healthy: ${process.logTail(5)} (log: ${logFile})`);
    }
    return server;
  }

  /** HTTP status of OPA's /health (200 once the policy is loaded). */
  async health(): Promise<number> {
    try {
      return (await fetch(`${this.url}/health`)).status;
    } catch {
      return 0;
    }
  }

  /** The decisions OPA logged so far, oldest first. */
  decisions(): DecisionLogEntry[] {
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"Decision Log"'))
      .map((line) => JSON.parse(line) as DecisionLogEntry);
  }

  get running(): boolean {
    return this.process.running;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
