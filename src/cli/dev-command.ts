import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { packageRoot } from './version.js';

/** `dev up|down`: the source checkout's own scripts (TypeScript through tsx, a development dependency). */
export function runDevScript(script: string, args: string[]): Promise<void> {
  const root = packageRoot();
  const source = join(root, 'src', 'dev', script);
  if (!existsSync(source) || !existsSync(join(root, 'node_modules', 'tsx')))
    throw new CliError('dev up/down need a source checkout with its development dependencies (npm install in the repository)');
  return new Promise((resolve, reject) => {
    // From the root, so that --import tsx resolves to the checkout's own tsx.
    const child = spawn(process.execPath, ['--import', 'tsx', source, ...args], { stdio: 'inherit', cwd: root });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new CliError(`${script} exited with ${code}`))));
  });
}
