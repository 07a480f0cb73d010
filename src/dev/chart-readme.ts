import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { chartReadme } from './chart-docs.js';

/** `npm run chart:readme`: rewrites charts/canopy/README.md from values.yaml. */
const chartDir = join(repoRoot, 'charts', 'canopy');
writeFileSync(join(chartDir, 'README.md'), chartReadme(readFileSync(join(chartDir, 'values.yaml'), 'utf8')));
console.log('wrote charts/canopy/README.md');
