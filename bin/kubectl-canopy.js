#!/usr/bin/env node
// kubectl plugin entry (`kubectl canopy …` once kubectl-canopy is on PATH): the
// compiled plugin in dist/cli, built by `npm install` (the prepare script).
// Nothing is imported statically: the Node version is checked, in syntax any
// Node since 12 parses, before a module that needs a newer one is loaded.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`kubectl-canopy needs Node.js 22.12 or newer; ${process.execPath} is ${process.version}.\n`);
  process.exit(1);
}
const entry = new URL('../dist/cli/src/cli/run.js', import.meta.url);
import(entry.href).catch((err) => {
  const missing = err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/src/cli/run.js');
  process.stderr.write(
    missing
      ? `kubectl-canopy is not built: run npm install (or npm run build:cli) in ${new URL('..', import.meta.url).pathname}\n`
      : `error: ${err?.message}\n`,
  );
  process.exit(1);
});
