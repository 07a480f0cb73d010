/**
 * The published entry points are enough to write an extension: the package is
 * packed exactly as `npm publish` would ship it, installed into an empty
 * directory, and each program under examples/extensions/ is compiled there
 * with the TypeScript compiler and started. The examples may import only
 * `canopy/runtime`, `canopy/api` and Node's builtins, so a missing export, a
 * declaration that does not resolve, or a file left out of the package fails
 * here rather than in a platform team's repository.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../controlplane/launcher/index.js';

const root = repoRoot;
const examplesDir = join(root, 'examples', 'extensions');

function run(command: string, args: readonly string[], cwd: string, timeoutMs = 300_000): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Every import specifier of a TypeScript file. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

function examplePrograms(): string[] {
  if (!existsSync(examplesDir)) return [];
  return readdirSync(examplesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(examplesDir, entry.name, 'main.ts')))
    .map((entry) => entry.name)
    .sort();
}

describe('the package as published: canopy/runtime and canopy/api', function () {
  this.timeout(600_000);
  let work: string;
  let tarball: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'canopy-pack-'));
    // `npm pack` runs prepare, which builds dist/lib (and the CLI) from the sources of this checkout.
    const out = run('npm', ['pack', '--json', '--pack-destination', work], root);
    const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed!.filename);
    writeFileSync(join(work, 'files.json'), JSON.stringify(packed!.files.map((f) => f.path)));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the entry points with their declarations, and neither sources nor tests', () => {
    const files = JSON.parse(readFileSync(join(work, 'files.json'), 'utf8')) as string[];
    for (const entry of ['runtime', 'api']) {
      expect(files).to.include(`dist/lib/src/public/${entry}.js`);
      expect(files).to.include(`dist/lib/src/public/${entry}.d.ts`);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || /\.test\./.test(f))).to.deep.equal([]);
  });

  it('has examples that import only the published entry points and Node builtins', () => {
    const programs = examplePrograms();
    expect(programs, 'examples/extensions/*/main.ts').to.not.be.empty;
    for (const name of programs) {
      const dir = join(examplesDir, name);
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
        const foreign = importsOf(join(dir, file)).filter((s) => !s.startsWith('node:') && s !== 'canopy/runtime' && s !== 'canopy/api' && !s.startsWith('./'));
        expect(foreign, `${name}/${file}`).to.deep.equal([]);
      }
    }
  });

  it('builds and starts every example from the packed package in an empty directory', () => {
    const project = join(work, 'consumer');
    cpSync(examplesDir, join(project, 'src'), { recursive: true, filter: (path) => !path.endsWith('README.md') });
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { canopy: `file:${tarball}` } }, null, 2),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          // @kubernetes/client-node's own declarations reference @types/ws, which a consumer need not install.
          skipLibCheck: true,
        },
        include: ['src/**/*.ts'],
      }),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], project);
    // The compiler of this checkout, against the installed package's declarations only.
    run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    for (const name of examplePrograms()) {
      const main = join(project, 'dist', name, 'main.js');
      expect(existsSync(main), main).to.equal(true);
      // --help loads every import (a missing export fails at link time) and exits without a cluster.
      const help = spawnSync(process.execPath, [main, '--help'], { cwd: project, encoding: 'utf8', timeout: 30_000 });
      expect(help.status, `${name} --help: ${help.stderr}`).to.equal(0);
      expect(help.stdout + help.stderr).to.match(/usage/i);
    }
  });
});
