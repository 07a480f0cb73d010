import { buildProgram } from './main.js';

buildProgram()
  .parseAsync()
  .catch((err: unknown) => {
    console.error(`kubectl-canopy: ${(err as Error).message}`);
    process.exit(1);
  });
