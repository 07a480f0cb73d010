import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { chartCopies } from './chart-files.js';

const copies = chartCopies();
const crdCopyDir = join(repoRoot, 'charts', 'canopy', 'crds');
const expected = new Set(copies.map((c) => basename(c.copy)));
for (const stale of readdirSync(crdCopyDir).filter((f) => !expected.has(f))) rmSync(join(crdCopyDir, stale));
for (const { source, copy } of copies) copyFileSync(source, copy);
console.log(`synced ${copies.length} chart files`);
