import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../controlplane/launcher/index.js';

/**
 * Files the Helm chart carries as copies, because Helm can only read files
 * inside the chart: the generated CRDs and the operator's ClusterRole.
 * `npm run chart:sync` refreshes them; a unit test fails when they drift.
 */
export function chartCopies(): { source: string; copy: string }[] {
  const crdDir = join(repoRoot, 'config', 'crd');
  const chartDir = join(repoRoot, 'charts', 'canopy');
  return [
    ...readdirSync(crdDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ source: join(crdDir, f), copy: join(chartDir, 'crds', f) })),
    { source: join(repoRoot, 'config', 'rbac', 'cluster_role.yaml'), copy: join(chartDir, 'files', 'cluster_role.yaml') },
  ];
}
