/**
 * The operator image, built without a container engine: the Dockerfile's
 * build stage replayed in an empty directory that holds exactly what its COPY
 * lines copy, its RUN lines run as written, then the runtime stage's layout
 * assembled from the build stage's output and its ENTRYPOINT asked for usage.
 * A product file that reaches outside what the image copies (test support,
 * a script that is not copied) fails here, not in a registry's build log.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, posix } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../controlplane/launcher/index.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile: cannot read the line "${line}"`);
    const op = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile: cannot read FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile: ${op} before the first FROM`);
      stage.instructions.push({ op, args });
    }
  }
  return stages;
}

/** COPY's flags, sources and destination (the JSON form is not used by this Dockerfile). */
function copyArgs(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
    else throw new Error(`Dockerfile: COPY flag ${flag} is not replayed by this test`);
  }
  const dest = words.pop();
  if (!dest || words.length === 0) throw new Error(`Dockerfile: COPY ${args} needs a source and a destination`);
  return { from, sources: words, dest };
}

/** Copies like COPY: a directory's contents into dest, a file into dest/ when dest ends with a slash. */
function copy(fromRoot: string, source: string, toRoot: string, workdir: string, dest: string): void {
  const src = join(fromRoot, source);
  if (!existsSync(src)) throw new Error(`COPY ${source}: not found in the context`);
  const target = join(toRoot, posix.isAbsolute(dest) ? dest : posix.join(workdir, dest));
  const intoDir = dest.endsWith('/') || dest === '.';
  const final = intoDir ? join(target, posix.basename(source)) : target;
  mkdirSync(dirname(final), { recursive: true });
  cpSync(src, final, { recursive: true });
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('operator image (Dockerfile replayed without a container engine)', function () {
  this.timeout(20 * 60_000);
  const stages = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const root = mkdtempSync(join(tmpdir(), 'canopy-image-'));
  const buildRoot = join(root, 'build');
  const runtimeRoot = join(root, 'runtime');
  // The pinned Node (node_modules/.bin/node) first on PATH, as the node:24 base image has it.
  const env = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    NODE_ENV: undefined,
    npm_config_update_notifier: 'false',
  };
  const timings: string[] = [];

  after(() => {
    if (timings.length > 0) console.log(`      ${timings.join(', ')}`);
    rmSync(root, { recursive: true, force: true });
  });

  it('has a build stage and a runtime stage on the same Node major', () => {
    expect(stages.map((s) => s.name)).to.deep.equal(['build', undefined]);
    const major = /^node:(\d+)-/.exec(stages[0]!.from)?.[1];
    expect(stages[1]!.from).to.equal(stages[0]!.from);
    expect(process.versions.node.split('.')[0], 'the tests run on the Node the image uses').to.equal(major);
  });

  it('builds from exactly the files the build stage copies (npm ci, tsc, npm prune)', () => {
    const started = Date.now();
    let workdir = '/';
    for (const { op, args } of stages[0]!.instructions) {
      if (op === 'WORKDIR') {
        workdir = posix.resolve(workdir, args);
        mkdirSync(join(buildRoot, workdir), { recursive: true });
      } else if (op === 'COPY') {
        const { from, sources, dest } = copyArgs(args);
        expect(from, 'the build stage copies from the context only').to.equal(undefined);
        for (const source of sources) copy(repoRoot, source, buildRoot, workdir, dest);
      } else if (op === 'RUN') {
        const step = Date.now();
        const run = spawnSync('sh', ['-c', args], { cwd: join(buildRoot, workdir), env, encoding: 'utf8', maxBuffer: 64 << 20 });
        const output = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-40).join('\n');
        expect(run.status, `RUN ${args} failed:\n${output}`).to.equal(0);
        timings.push(`RUN ${args.split(/\s+/).slice(0, 2).join(' ')}… ${((Date.now() - step) / 1000).toFixed(0)}s`);
      } else {
        expect.fail(`the build stage uses ${op}, which this test does not replay`);
      }
    }
    timings.unshift(`build stage ${((Date.now() - started) / 1000).toFixed(0)}s`);
    const app = join(buildRoot, workdir);
    expect(existsSync(join(app, 'dist', 'src', 'main.js')), 'tsc wrote dist/src/main.js').to.equal(true);
    expect(
      files(join(app, 'dist')).filter((f) => /\.test\.js$/.test(f)),
      'no test is compiled into the image',
    ).to.deep.equal([]);
    expect(existsSync(join(app, 'dist', 'test')), 'no test support is compiled into the image').to.equal(false);
    expect(existsSync(join(app, 'node_modules', 'typescript')), 'npm prune removed the dev dependencies').to.equal(false);
  });

  it('assembles the runtime stage and its ENTRYPOINT prints usage with --help', () => {
    let workdir = '/';
    let entrypoint: string[] = [];
    const buildWorkdir = (stages[0]!.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? '/').replace(/^\/?/, '/');
    for (const { op, args } of stages[1]!.instructions) {
      if (op === 'WORKDIR') workdir = posix.resolve(workdir, args);
      else if (op === 'COPY') {
        const { from, sources, dest } = copyArgs(args);
        for (const source of sources) {
          if (from === 'build') copy(buildRoot, posix.relative('/', posix.resolve(buildWorkdir, source)), runtimeRoot, workdir, dest);
          else copy(repoRoot, source, runtimeRoot, workdir, dest);
        }
      } else if (op === 'ENTRYPOINT') entrypoint = JSON.parse(args) as string[];
    }
    expect(entrypoint[0]).to.equal('node');
    const app = join(runtimeRoot, workdir);
    expect(readdirSync(app).sort()).to.deep.equal(['config', 'dist', 'node_modules', 'package.json']);
    const started = Date.now();
    const run = spawnSync(process.execPath, [...entrypoint.slice(1), '--help'], { cwd: app, env: { ...env, NODE_ENV: 'production' }, encoding: 'utf8' });
    timings.push(`--help ${Date.now() - started}ms`);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^Usage: canopy-operator/);
    expect(run.stdout).to.include('--metrics-port');
  });

  it('the runtime stage refuses to start, naming the missing file, when KUBECONFIG names none', () => {
    const app = join(runtimeRoot, stages[1]!.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? '/');
    const entrypoint = JSON.parse(stages[1]!.instructions.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    const run = spawnSync(process.execPath, entrypoint.slice(1), {
      cwd: app,
      env: { ...env, NODE_ENV: 'production', KUBECONFIG: join(root, 'no-such-kubeconfig'), KUBERNETES_SERVICE_HOST: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(1);
    expect(run.stderr.split('\n')[0]).to.equal(`canopy: Error: KUBECONFIG names no existing file: ${join(root, 'no-such-kubeconfig')}`);
  });
});
