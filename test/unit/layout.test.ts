// The product build (tsconfig.build.json, the image's build stage) compiles
// src/ without its tests: a product file that imports test support would
// break it, and would ship test code. Test support lives under test/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function productFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...productFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const SPECIFIER = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

describe('layout', () => {
  it('keeps test support out of the product: no file under src/ (tests aside) imports from test/', () => {
    const offenders: string[] = [];
    for (const file of productFiles(join(root, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        const target = relative(root, resolve(dirname(file), match[1]!));
        if (target.startsWith('test/') || target.startsWith('test\\')) offenders.push(`${relative(root, file)} → ${target}`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
