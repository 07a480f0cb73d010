import { setTimeout as sleep } from 'node:timers/promises';
import { clearDevState, processAlive, runningDevState } from './state.js';

/** `npm run dev:down`: stops the environment a running `npm start` brought up. */
async function main(): Promise<void> {
  const state = runningDevState();
  if (!state) {
    clearDevState();
    console.log('canopy: no local environment is running');
    return;
  }
  process.kill(state.pid, 'SIGTERM');
  for (let waited = 0; waited < 60_000 && processAlive(state.pid); waited += 250) await sleep(250);
  if (processAlive(state.pid)) {
    process.kill(state.pid, 'SIGKILL');
    console.error(`canopy: npm start (pid ${state.pid}) did not stop within 60s; killed it (its control-plane processes die with it)`);
  }
  clearDevState();
  console.log(`canopy: stopped the local environment (${state.clusters.join(', ')})`);
}

main().catch((err: unknown) => {
  console.error(`canopy: ${(err as Error).message}`);
  process.exit(1);
});
