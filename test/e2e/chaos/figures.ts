/**
 * Every chaos suite prints its figures and writes them as JSON under
 * .canopy/test/chaos/, where docs/reliability.md's numbers come from.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR } from './operators.js';
import { LONG, SEED } from './scale.js';

export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  mkdirSync(LOG_DIR, { recursive: true });
  const record = { suite, form: LONG ? 'long' : 'short', seed: SEED, at: new Date().toISOString(), ...figures };
  writeFileSync(join(LOG_DIR, `figures-${suite}-${LONG ? 'long' : 'short'}-${SEED}.json`), `${JSON.stringify(record, null, 2)}\n`);
  console.log(`      figures ${suite}: ${JSON.stringify(record)}`);
}
