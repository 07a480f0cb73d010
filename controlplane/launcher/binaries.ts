import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LaunchError } from './errors.js';

/** The binaries the local environment runs; `build.sh` without arguments produces them. */
export const CONTROL_PLANE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'etcd', 'supervise', 'kwok'] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

/** Tools built only when something first asks for them (`build.sh helm`), so the first `npm start` never waits on them. */
export const ON_DEMAND_TOOLS = ['helm', 'opa'] as const;
export type OnDemandTool = (typeof ON_DEMAND_TOOLS)[number];

const controlplaneDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(controlplaneDir, '..');

/**
 * Builds (once, cached outside the repository by pinned versions) and returns the
 * directory holding the control-plane binaries. Progress lines from the build go
 * to stderr so `npm start` shows what the first, slow, build is doing.
 */
export async function ensureBinaries(options: { quiet?: boolean } = {}): Promise<string> {
  const override = process.env.CANOPY_CONTROLPLANE_BIN;
  if (override) {
    assertBinariesPresent(override, CONTROL_PLANE_BINARIES);
    return override;
  }
  const binDir = await runBuildScript([], options.quiet ?? false);
  assertBinariesPresent(binDir, CONTROL_PLANE_BINARIES);
  linkIntoRepo(binDir, CONTROL_PLANE_BINARIES);
  return binDir;
}

/**
 * The path of an on-demand tool (helm, opa), building it on first use into
 * the same cache as the control plane. CANOPY_CONTROLPLANE_BIN, when set,
 * must already hold it.
 */
export async function ensureTool(tool: OnDemandTool, options: { quiet?: boolean } = {}): Promise<string> {
  const override = process.env.CANOPY_CONTROLPLANE_BIN;
  if (override) {
    assertBinariesPresent(override, [tool]);
    return join(override, tool);
  }
  const binDir = await runBuildScript([tool], options.quiet ?? false);
  assertBinariesPresent(binDir, [tool]);
  linkIntoRepo(binDir, [tool]);
  return join(binDir, tool);
}

function runBuildScript(targets: readonly string[], quiet: boolean): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(controlplaneDir, 'build.sh'), ...targets], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderrTail = (stderrTail + text).slice(-4000);
      if (!quiet || text.startsWith('canopy:')) process.stderr.write(text);
    });
    child.on('error', (err) => reject(new LaunchError(`cannot run controlplane/build.sh: ${err.message}; is bash installed?`)));
    child.on('exit', (code) => {
      if (code === 0) return resolvePromise(stdout.trim().split('\n').pop() ?? '');
      const firstCanopyLine = stderrTail
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('canopy:'));
      reject(new LaunchError(firstCanopyLine?.replace(/^canopy: /, '') ?? `controlplane/build.sh exited with ${code}: ${stderrTail.trim().split('\n').pop()}`));
    });
  });
}

function assertBinariesPresent(binDir: string, binaries: readonly string[]): void {
  const missing = binaries.filter((b) => !existsSync(join(binDir, b)));
  if (missing.length > 0) {
    throw new LaunchError(`control-plane binaries missing in ${binDir}: ${missing.join(', ')}; run npm run controlplane:build -- ${missing.join(' ')}`);
  }
}

/** `.canopy/bin/<tool>` is the documented, stable place to find the binaries. */
function linkIntoRepo(binDir: string, binaries: readonly string[]): void {
  const linkDir = join(repoRoot, '.canopy', 'bin');
  mkdirSync(linkDir, { recursive: true });
  for (const existing of readdirSync(linkDir)) {
    // Links into an older build (other pins) go; on-demand tools of this build stay linked.
    const path = join(linkDir, existing);
    const intoThisBuild = lstatSync(path).isSymbolicLink() && dirname(readlinkSync(path)) === binDir;
    if (binaries.includes(existing) || !intoThisBuild) rmSync(path, { force: true });
  }
  for (const binary of binaries) symlinkSync(join(binDir, binary), join(linkDir, binary));
}
