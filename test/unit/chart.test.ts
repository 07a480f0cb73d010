import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { chartCopies } from '../../src/dev/chart-files.js';

describe('Helm chart', () => {
  it('carries the current CRDs and ClusterRole (run npm run chart:sync when this fails)', () => {
    for (const { source, copy } of chartCopies()) {
      expect(readFileSync(copy, 'utf8'), `${basename(copy)} is stale: run npm run chart:sync`).to.equal(readFileSync(source, 'utf8'));
    }
    expect(readdirSync(join(repoRoot, 'charts', 'canopy', 'crds')).sort()).to.deep.equal(readdirSync(join(repoRoot, 'config', 'crd')).filter((f) => f.endsWith('.yaml')).sort());
  });

  it('defaults to two replicas with leader election and the webhook on', () => {
    const values = parse(readFileSync(join(repoRoot, 'charts', 'canopy', 'values.yaml'), 'utf8')) as {
      replicaCount: number;
      leaderElection: { enabled: boolean };
      webhook: { enabled: boolean };
    };
    expect(values.replicaCount).to.equal(2);
    expect(values.leaderElection.enabled).to.equal(true);
    expect(values.webhook.enabled).to.equal(true);
  });
});
