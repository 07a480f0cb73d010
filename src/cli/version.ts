import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root: the nearest directory above this file with the
 * package.json named canopy. Found by walking up because this file runs from
 * src/cli (sources) and from dist/cli/src/cli (the compiled plugin).
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'canopy') return dir;
    if (dirname(dir) === dir) throw new Error(`no canopy package.json above ${from}`);
  }
}

/** The version in package.json, as `--version` prints it. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
