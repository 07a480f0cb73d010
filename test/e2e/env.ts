import type { LocalEnvironment } from '../../controlplane/launcher/index.js';

let current: LocalEnvironment | undefined;

/** The environment shared by every e2e file of this mocha run (started by setup.ts). */
export function testEnv(): LocalEnvironment {
  if (!current) throw new Error('the e2e environment is not running: run e2e tests through `npm run test:e2e` (mocha --config .mocharc.e2e.json)');
  return current;
}

export function setTestEnv(env: LocalEnvironment | undefined): void {
  current = env;
}

/** A short random suffix so objects of different tests never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
