import type { LocalEnvironment } from '../../controlplane/launcher/index.js';
import type { TestOperator } from './operator.js';

let current: LocalEnvironment | undefined;
let operator: TestOperator | undefined;

/** The environment shared by every e2e file of this mocha run (started by setup.ts). */
export function testEnv(): LocalEnvironment {
  if (!current) throw new Error('the e2e environment is not running: run e2e tests through `npm run test:e2e` (mocha --config .mocharc.e2e.json)');
  return current;
}

/** The one in-process operator (all registered features) running against testEnv().host. */
export function testOperator(): TestOperator {
  if (!operator) throw new Error('the e2e operator is not running (setup.ts starts it after the CRDs)');
  return operator;
}

/** The operator if it started (teardown must work after a failed start). */
export function maybeTestOperator(): TestOperator | undefined {
  return operator;
}

export function setTestEnv(env: LocalEnvironment | undefined, op?: TestOperator): void {
  current = env;
  operator = op;
}

/** A short random suffix so objects of different tests never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
