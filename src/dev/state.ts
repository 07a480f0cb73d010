import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../controlplane/launcher/index.js';

/** `.canopy/dev`: admin kubeconfigs per cluster and the running environment's state. */
export const devDir = join(repoRoot, '.canopy', 'dev');
const stateFile = join(devDir, 'state.json');

export interface DevState {
  readonly pid: number;
  readonly startedAt: string;
  readonly clusters: readonly string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The state of a still-running `npm start`, if any (stale files are ignored). */
export function runningDevState(): DevState | undefined {
  if (!existsSync(stateFile)) return undefined;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as DevState;
  return alive(state.pid) ? state : undefined;
}

export function writeDevState(state: DevState): void {
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
}

export function clearDevState(): void {
  rmSync(stateFile, { force: true });
}

export { alive as processAlive };
