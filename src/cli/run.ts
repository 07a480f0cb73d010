import { CommanderError } from 'commander';
import { describeError } from './errors.js';
import { buildProgram } from './main.js';

/** The plugin's process: parse, run one command, print a failure as one line, exit non-zero on any failure. */
buildProgram()
  .exitOverride()
  .parseAsync()
  .catch((err: unknown) => {
    // commander has printed its own usage errors (and help/version, which exit 0).
    if (err instanceof CommanderError) process.exit(err.exitCode);
    process.stderr.write(`error: ${describeError(err)}\n`);
    process.exit(1);
  });
