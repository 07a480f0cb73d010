/**
 * Writes docs/api-reference.md from the CRDs src/crds generates: the schemas
 * the apiserver enforces, so the reference says exactly what is accepted.
 * Run with `npm run docs:api`; a unit test fails when the page is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { customResourceDefinitionManifests, type CustomResourceDefinitionManifest, type JSONSchemaProps } from '../crds/index.js';

export const API_REFERENCE_PATH = join('docs', 'api-reference.md');

interface FieldRow {
  readonly path: string;
  readonly schema: JSONSchemaProps;
  readonly required: boolean;
}

function code(text: string): string {
  // A code span holding a backtick needs a longer fence; pipes would end the table cell.
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`.replace(/\|/g, '\\|');
}

function prose(text: string | undefined): string {
  return (text ?? '').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function typeOf(s: JSONSchemaProps): string {
  if (s['x-kubernetes-int-or-string']) return 'integer or string';
  if (s['x-kubernetes-embedded-resource']) return 'object (a Kubernetes object)';
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties) return 'any';
  if (s.anyOf?.length) return s.anyOf.map(typeOf).join(' or ');
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of string to ${typeOf(s.additionalProperties)}`;
  return s.format ? `${s.type} (${s.format})` : (s.type ?? 'any');
}

/** Every constraint the schema puts on one value, in kubectl-explain words. */
function validation(s: JSONSchemaProps): string[] {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map((v) => code(JSON.stringify(v))).join(', ')}`);
  const range = (min: unknown, max: unknown, what: string) => {
    if (min !== undefined && max !== undefined) out.push(`${what} ${min}–${max}`);
    else if (min !== undefined) out.push(`${what} ≥ ${min}`);
    else if (max !== undefined) out.push(`${what} ≤ ${max}`);
  };
  range(s.minimum, s.maximum, 'value');
  range(s.minLength, s.maxLength, 'length');
  range(s.minItems, s.maxItems, 'items');
  range(s.minProperties, s.maxProperties, 'entries');
  if (s.pattern) out.push(`matches ${code(String(s.pattern))}`);
  if (s.uniqueItems) out.push('unique items');
  if (s['x-kubernetes-list-type'])
    out.push(
      `list type ${code(String(s['x-kubernetes-list-type']))}${s['x-kubernetes-list-map-keys'] ? ` keyed by ${(s['x-kubernetes-list-map-keys'] as string[]).map(code).join(', ')}` : ''}`,
    );
  for (const rule of s['x-kubernetes-validations'] ?? []) out.push(`${code(rule.rule)}${rule.message ? `: ${prose(rule.message)}` : ''}`);
  return out;
}

function* walk(schema: JSONSchemaProps, path: string, required: boolean): Generator<FieldRow> {
  yield { path, schema, required };
  const requiredHere = new Set(schema.required ?? []);
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* walk(child, `${path}.${name}`, requiredHere.has(name));
  if (schema.items && (schema.items.properties || schema.items.items)) {
    const items = schema.items;
    const inner = new Set(items.required ?? []);
    for (const [name, child] of Object.entries(items.properties ?? {})) yield* walk(child, `${path}[].${name}`, inner.has(name));
    if (items.items) yield* walk(items.items, `${path}[][]`, true);
  }
  // Scalar list items and map values get a row of their own when they carry validation.
  if (schema.items && !schema.items.properties && !schema.items.items && validation(schema.items).length > 0)
    yield { path: `${path}[]`, schema: schema.items, required: false };
  const values = schema.additionalProperties;
  if (values && typeof values === 'object' && !values.properties && validation(values).length > 0) yield { path: `${path}.*`, schema: values, required: false };
  if (values && typeof values === 'object' && values.properties) {
    const inner = new Set(values.required ?? []);
    for (const [name, child] of Object.entries(values.properties)) yield* walk(child, `${path}.*.${name}`, inner.has(name));
  }
}

function kindSection(crd: CustomResourceDefinitionManifest): string {
  const { names, scope, group } = crd.spec;
  const version = crd.spec.versions[0]!;
  const root = version.schema.openAPIV3Schema;
  const lines: string[] = [];
  lines.push(`## ${names.kind}`, '');
  lines.push(prose(root.description), '');
  lines.push(`- API: \`${group}/${version.name}\`, resource \`${crd.metadata.name}\`, ${scope === 'Cluster' ? 'cluster-scoped' : 'namespaced'}`);
  lines.push(`- Names: ${[names.plural, names.singular, ...names.shortNames].map(code).join(', ')}; categories ${names.categories.map(code).join(', ')}`);
  lines.push(
    `- \`kubectl get\` columns: ${version.additionalPrinterColumns.map((c) => `${c.name} (${code(c.jsonPath)}${c.priority ? ', -o wide' : ''})`).join(', ')}`,
  );
  const objectRules = validation({ 'x-kubernetes-validations': root['x-kubernetes-validations'] });
  if (objectRules.length > 0) lines.push(`- Rules on the whole object: ${objectRules.join('; ')}`);
  lines.push('', '| Field | Type | Required | Default | Validation | Description |', '| --- | --- | --- | --- | --- | --- |');
  for (const top of ['metadata', 'spec', 'status']) {
    const schema = root.properties?.[top];
    if (!schema) continue;
    for (const row of walk(schema, top, (root.required ?? []).includes(top))) {
      if (row.path === 'metadata' && !schema.description) continue;
      const { schema: s } = row;
      lines.push(
        `| ${code(row.path)} | ${typeOf(s)} | ${row.required ? 'yes' : ''} | ${s.default !== undefined ? code(JSON.stringify(s.default)) : ''} | ${validation(s).join('; ')} | ${prose(s.description)} |`,
      );
    }
  }
  return lines.join('\n');
}

export function renderApiReference(): string {
  const crds = customResourceDefinitionManifests();
  const group = crds[0]!.spec.group;
  const header = [
    '<!-- Generated by `npm run docs:api` from src/crds (the same schemas as config/crd); do not edit by hand. -->',
    '# API reference',
    '',
    `Every Canopy kind is in the API group \`${group}\`, version \`${crds[0]!.spec.versions[0]!.name}\`. The tables list every field`,
    'with its type, whether it is required, its default, the validation the apiserver enforces (OpenAPI and CEL rules) and its',
    'meaning. `[]` marks the items of a list, `*` the values of a map. `kubectl explain <kind>.<field>` shows the same from a live cluster.',
    'The condition reasons found in `status.conditions` are explained in [troubleshooting.md](troubleshooting.md).',
    '',
    crds.map((c) => `- [${c.spec.names.kind}](#${c.spec.names.kind.toLowerCase()})`).join('\n'),
    '',
  ].join('\n');
  return `${header}\n${crds.map(kindSection).join('\n\n')}\n`;
}

if (process.argv[1]?.endsWith('api-reference.ts')) {
  writeFileSync(join(process.cwd(), API_REFERENCE_PATH), renderApiReference());
  console.log(`wrote ${API_REFERENCE_PATH}`);
}
