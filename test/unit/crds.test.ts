import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { dumpYaml } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { customResourceDefinitionManifests, type CustomResourceDefinitionManifest, type JSONSchemaProps } from '../../src/crds/index.js';
import { allCustomResourceDefinitions } from '../../src/crds/client-model.js';
import { CRD_DIR, CRD_HEADER, renderCustomResourceDefinitionFiles, staleCustomResourceDefinitionFiles } from '../../src/crds/generate.js';

/** Every schema node below `schema`, with its path, skipping what preserve-unknown-fields leaves free. */
function* schemaNodes(schema: JSONSchemaProps, path: string): Generator<[string, JSONSchemaProps]> {
  yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* schemaNodes(child, `${path}.${name}`);
  if (schema.items) yield* schemaNodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* schemaNodes(schema.additionalProperties, `${path}{}`);
}

const rootSchema = (crd: CustomResourceDefinitionManifest) => crd.spec.versions[0]!.schema.openAPIV3Schema;

describe('CustomResourceDefinitions', () => {
  const manifests = customResourceDefinitionManifests();

  it('defines the six canopy.dev kinds', () => {
    expect(manifests.map((m) => m.spec.names.kind)).to.have.members([
      'Workspace',
      'LogicalCluster',
      'Cluster',
      'PlacementPolicy',
      'PropagatedObject',
      'ClusterPropagatedObject',
    ]);
    for (const m of manifests) {
      expect(m.metadata.name).to.equal(`${m.spec.names.plural}.canopy.dev`);
      expect(m.spec.versions.map((v) => v.name)).to.deep.equal(['v1alpha1']);
    }
  });

  it('short names do not shadow built-in ones or those of widely installed CRDs', () => {
    const builtIn = [
      'po',
      'svc',
      'deploy',
      'ns',
      'no',
      'cm',
      'pv',
      'pvc',
      'rs',
      'sts',
      'ds',
      'cj',
      'ing',
      'sa',
      'ep',
      'ev',
      'hpa',
      'pdb',
      'pc',
      'netpol',
      'crd',
      'crds',
      'csr',
      'rc',
      'limits',
      'quota',
      'cs',
      'sc',
    ];
    const common = [
      'cl' /* Cluster API */,
      'vpa',
      ...['pp', 'cpp', 'op', 'cop', 'rb', 'crb'] /* Karmada */,
      ...['pol', 'cpol'] /* Kyverno */,
      ...['app', 'apps', 'appproj'] /* Argo CD */,
    ];
    const ours = manifests.flatMap((m) => m.spec.names.shortNames);
    expect(ours.filter((n) => [...builtIn, ...common].includes(n))).to.deep.equal([]);
    expect(new Set(ours).size).to.equal(ours.length);
    expect(ours, 'PlacementPolicy gave up pp for Karmada').to.not.include('pp');
  });

  it('every kind is in the canopy category (kubectl get canopy)', () => {
    for (const m of manifests) expect(m.spec.names.categories, m.spec.names.kind).to.deep.equal(['canopy']);
  });

  it('config/crd matches src/crds', () => {
    const files = renderCustomResourceDefinitionFiles();
    for (const [name, text] of files) {
      const path = join(CRD_DIR, name);
      const onDisk = existsSync(path) ? readFileSync(path, 'utf8') : '';
      if (onDisk !== text) expect.fail(`config/crd is stale: run npm run crds (${name} differs)`);
    }
    const stale = staleCustomResourceDefinitionFiles(CRD_DIR, files);
    if (stale.length > 0) expect.fail(`config/crd is stale: run npm run crds (${stale.join(', ')} no longer generated)`);
  });

  it('generated files start with the do-not-edit header and parse back to the manifests', () => {
    const files = renderCustomResourceDefinitionFiles();
    for (const m of manifests) {
      const text = files.get(`canopy.dev_${m.spec.names.plural}.yaml`);
      expect(text?.startsWith(CRD_HEADER)).to.equal(true);
      expect(parse(text ?? '')).to.deep.equal(m);
    }
  });

  it('schemas are structural: every field has a type, nothing is open outside preserve-unknown-fields', () => {
    for (const m of manifests) {
      for (const [path, node] of schemaNodes(rootSchema(m), m.spec.names.kind)) {
        const free = node['x-kubernetes-preserve-unknown-fields'] === true || node['x-kubernetes-int-or-string'] === true;
        if (!free) expect(node.type, `${path} has no type`).to.be.a('string');
        expect(node.additionalProperties, `${path} allows any property`).to.not.equal(true);
        expect(node, `${path} uses patternProperties`).to.not.have.property('patternProperties');
        if (node.type === 'object' && node.properties && node.additionalProperties !== undefined) {
          expect.fail(`${path} has both properties and additionalProperties`);
        }
        for (const branch of node.anyOf ?? []) {
          // Structural schemas only allow anyOf next to int-or-string, with plain typed branches.
          expect(node['x-kubernetes-int-or-string'], `${path} uses anyOf`).to.equal(true);
          expect(Object.keys(branch)).to.deep.equal(['type']);
        }
        if (node.type === 'array') expect(node.items, `${path} has no items`).to.be.an('object');
      }
    }
  });

  it('every kind has a status subresource, Ready-style conditions and observedGeneration', () => {
    for (const m of manifests) {
      const version = m.spec.versions[0]!;
      expect(version.subresources.status).to.deep.equal({});
      const status = rootSchema(m).properties?.status;
      const conditions = status?.properties?.conditions;
      expect(conditions?.['x-kubernetes-list-type'], m.spec.names.kind).to.equal('map');
      expect(conditions?.['x-kubernetes-list-map-keys']).to.deep.equal(['type']);
      expect(conditions?.items?.required).to.include.members(['type', 'status', 'reason', 'message']);
      expect(status?.properties?.observedGeneration?.type).to.equal('integer');
      expect(m.spec.names.shortNames).to.have.length.greaterThan(0);
      expect(version.additionalPrinterColumns.map((c) => c.name)).to.include('Age');
    }
  });

  it('list-map keys are required fields of the list items', () => {
    for (const m of manifests) {
      for (const [path, node] of schemaNodes(rootSchema(m), m.spec.names.kind)) {
        const keys = node['x-kubernetes-list-map-keys'] as string[] | undefined;
        if (!keys) continue;
        const item = node.items;
        for (const key of keys) {
          const defaulted = item?.properties?.[key]?.default !== undefined;
          expect(item?.required?.includes(key) || defaulted, `${path}: map key ${key} must be required`).to.equal(true);
        }
      }
    }
  });

  it('strings and lists under CEL rules are bounded so the apiserver can estimate rule cost', () => {
    for (const m of manifests) {
      const spec = rootSchema(m).properties?.spec;
      if (!spec) continue;
      for (const [path, node] of schemaNodes(spec, `${m.spec.names.kind}.spec`)) {
        if (node.type === 'array') expect(node.maxItems, `${path} needs maxItems`).to.be.a('number');
        if (node.type === 'string' && node.enum === undefined && node.format === undefined) {
          expect(node.maxLength, `${path} needs maxLength`).to.be.a('number');
        }
      }
    }
  });

  it('client models serialize back to exactly the wire manifests (no CEL rule, enum or default lost)', () => {
    const models = allCustomResourceDefinitions();
    expect(models).to.have.length(manifests.length);
    models.forEach((model, i) => {
      expect(parse(dumpYaml(model))).to.deep.equal(manifests[i]);
    });
  });
});
