import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LaunchError } from './errors.js';

/** The binaries the launcher needs; build.sh produces all of them. */
export const CONTROL_PLANE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kubectl', 'etcd', 'supervise', 'helm'] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

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
    assertBinariesPresent(override);
    return override;
  }
  const binDir = await runBuildScript(options.quiet ?? false);
  assertBinariesPresent(binDir);
  linkIntoRepo(binDir);
  return binDir;
}

function runBuildScript(quiet: boolean): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(controlplaneDir, 'build.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
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
      const firstCanopyLine = stderrTail.split('\n').reverse().find((l) => l.startsWith('canopy:'));
      reject(new LaunchError(firstCanopyLine?.replace(/^canopy: /, '') ?? `controlplane/build.sh exited with ${code}: ${stderrTail.trim().split('\n').pop()}`));
    });
  });
}

function assertBinariesPresent(binDir: string): void {
  const missing = CONTROL_PLANE_BINARIES.filter((b) => !existsSync(join(binDir, b)));
  if (missing.length > 0) {
    throw new LaunchError(`control-plane binaries missing in ${binDir}: ${missing.join(', ')}; run npm run controlplane:build`);
  }
}

/** `.canopy/bin/<tool>` is the documented, stable place to find the binaries. */
function linkIntoRepo(binDir: string): void {
  const linkDir = join(repoRoot, '.canopy', 'bin');
  mkdirSync(linkDir, { recursive: true });
  for (const existing of readdirSync(linkDir)) rmSync(join(linkDir, existing), { force: true });
  for (const binary of CONTROL_PLANE_BINARIES) symlinkSync(join(binDir, binary), join(linkDir, binary));
}
