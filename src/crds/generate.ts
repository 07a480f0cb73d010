/**
 * Writes config/crd/canopy.dev_<plural>.yaml from the TypeBox definitions
 * (`npm run crds`). The unit tests render the same text and fail when the
 * checked-in files differ, so the YAML can never drift from the types.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { GROUP } from './common.js';
import { customResourceDefinitionManifests } from './index.js';

export const CRD_HEADER = '# generated from src/crds by npm run crds; do not edit\n';

/** config/crd, relative to this file. */
export const CRD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/crd');

/** File name → YAML text for every CRD. */
export function renderCustomResourceDefinitionFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of customResourceDefinitionManifests()) {
    // lineWidth 0: never fold long strings (CEL rules, patterns), so diffs stay readable.
    files.set(`${GROUP}_${crd.spec.names.plural}.yaml`, CRD_HEADER + stringify(crd, { lineWidth: 0 }));
  }
  return files;
}

/** Generated files now on disk that no kind produces any more. */
export function staleCustomResourceDefinitionFiles(dir: string, files: Map<string, string>): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(`${GROUP}_`) && f.endsWith('.yaml') && !files.has(f));
}

export function writeCustomResourceDefinitionFiles(dir = CRD_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const files = renderCustomResourceDefinitionFiles();
  for (const stale of staleCustomResourceDefinitionFiles(dir, files)) rmSync(join(dir, stale));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return [...files.keys()];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const name of writeCustomResourceDefinitionFiles()) console.log(`wrote config/crd/${name}`);
}
