import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { chartCopies } from '../../src/dev/chart-files.js';
import { chartReadme, OPERATOR_SETTINGS, valueDocs } from '../../src/dev/chart-docs.js';

const chartDir = join(repoRoot, 'charts', 'canopy');
const valuesYaml = readFileSync(join(chartDir, 'values.yaml'), 'utf8');

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  $ref?: string;
}

/** The schema node of a dotted value path, or undefined when the schema does not name it. */
function schemaAt(schema: SchemaNode, path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const key of path.split('.')) node = node?.properties?.[key];
  return node;
}

/** Non-test TypeScript files under src/, except the development tooling. */
function productSources(dir = join(repoRoot, 'src')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'dev' ? [] : productSources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('Helm chart', () => {
  it('carries the current CRDs and ClusterRole (run npm run chart:sync when this fails)', () => {
    for (const { source, copy } of chartCopies()) {
      expect(readFileSync(copy, 'utf8'), `${basename(copy)} is stale: run npm run chart:sync`).to.equal(readFileSync(source, 'utf8'));
    }
    expect(readdirSync(join(chartDir, 'crds')).sort()).to.deep.equal(
      readdirSync(join(repoRoot, 'config', 'crd'))
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    );
  });

  it('defaults to two replicas with leader election and the webhook on', () => {
    const values = parse(valuesYaml) as { replicaCount: number; leaderElection: { enabled: boolean }; webhook: { enabled: boolean } };
    expect(values.replicaCount).to.equal(2);
    expect(values.leaderElection.enabled).to.equal(true);
    expect(values.webhook.enabled).to.equal(true);
  });

  it('README.md is generated from the current values.yaml (run npm run chart:readme when this fails)', () => {
    expect(readFileSync(join(chartDir, 'README.md'), 'utf8'), 'charts/canopy/README.md is stale: run npm run chart:readme').to.equal(chartReadme(valuesYaml));
  });

  it('documents every value with a comment and types it in values.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
    const docs = valueDocs(valuesYaml);
    expect(docs.length).to.be.greaterThan(30);
    for (const doc of docs) {
      expect(doc.description, `${doc.path} has no comment in values.yaml`).to.not.equal('');
      if (doc.defaultJson !== '') expect(schemaAt(schema, doc.path), `${doc.path} is missing from values.schema.json`).to.not.equal(undefined);
    }
    // Every top-level key is documented, and the schema refuses keys values.yaml does not have.
    const topLevel = Object.keys(parse(valuesYaml) as object);
    expect(Object.keys(schema.properties ?? {}).sort()).to.deep.equal([...topLevel].sort());
    expect(schema.additionalProperties).to.equal(false);
  });

  it('names every CANOPY_* setting the operator reads, and the Deployment sets each one that has a value', () => {
    const read = new Set(productSources().flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bCANOPY_[A-Z_]+[A-Z]\b/g)].map((m) => m[0])));
    const documented = new Set(OPERATOR_SETTINGS.map((s) => s.name));
    expect(
      [...read].filter((name) => !documented.has(name)),
      'settings missing from OPERATOR_SETTINGS (src/dev/chart-docs.ts)',
    ).to.deep.equal([]);
    const deployment = readFileSync(join(chartDir, 'templates', 'deployment.yaml'), 'utf8');
    const paths = new Set(valueDocs(valuesYaml).map((d) => d.path));
    for (const setting of OPERATOR_SETTINGS.filter((s) => s.value)) {
      expect(deployment, `${setting.name} is not set by templates/deployment.yaml`).to.contain(`name: ${setting.name}\n`);
      expect(paths.has(setting.value!), `${setting.name} names value ${setting.value}, which values.yaml does not have`).to.equal(true);
    }
  });
});

describe('valueDocs', () => {
  it('makes one row per commented key, and one for a commented map whose keys have no comments', () => {
    const docs = valueDocs(
      [
        '# header, not a key',
        '',
        '# Replicas.',
        'replicas: 2',
        'webhook:',
        '  # On or off.',
        '  enabled: true',
        '# Limits.',
        'resources:',
        '  limits: { memory: 1Gi }',
        'bare: x',
      ].join('\n'),
    );
    expect(docs).to.deep.equal([
      { path: 'replicas', defaultJson: '2', description: 'Replicas.' },
      { path: 'webhook.enabled', defaultJson: 'true', description: 'On or off.' },
      { path: 'resources', defaultJson: '{"limits":{"memory":"1Gi"}}', description: 'Limits.' },
      { path: 'bare', defaultJson: '"x"', description: '' },
    ]);
  });
});
