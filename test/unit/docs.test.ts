/**
 * The generated pages cannot drift from the code: every reason the code sets
 * is explained, nothing explained is gone from the code, and both pages are
 * what their generators write today.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../controlplane/launcher/index.js';
import { customResourceDefinitionManifests, ScheduledReasons, type JSONSchemaProps } from '../../src/crds/index.js';
import { API_REFERENCE_PATH, renderApiReference } from '../../src/dev/api-reference.js';
import { REASON_DOCS } from '../../src/dev/reason-docs.js';
import { renderTroubleshooting, TROUBLESHOOTING_PATH } from '../../src/dev/reasons-doc.js';
import { findReasons } from '../../src/dev/reasons.js';

describe('docs/troubleshooting.md', () => {
  const found = findReasons(repoRoot);
  const names = found.map((r) => r.reason);

  it('finds reasons in every shape the code sets them', () => {
    // One of each: a const map, a union type, a condition helper, a `reason:` literal, a ternary, the logical-cluster plan's fail(), an Event.
    expect(names).to.include.members(Object.values(ScheduledReasons));
    expect(names).to.include.members([
      'ProbeTimeout',
      'Unauthorized',
      'NotScheduled',
      'NamespaceTaken',
      'CycleDetected',
      'ConstraintsTooWide',
      'PropagatedObjectNameTaken',
    ]);
    expect(names, 'HTTP Status reasons are not conditions').to.not.include.members(['NotFound', 'InternalError']);
    expect(names, 'condition statuses are not reasons').to.not.include.members(['True', 'False', 'Unknown']);
    expect(names.length).to.be.greaterThan(60);
  });

  it('explains every reason set in src/', () => {
    const undocumented = found.filter((r) => !REASON_DOCS[r.reason]).map((r) => `${r.reason} (${r.places.join(', ')})`);
    expect(undocumented, 'add these to src/dev/reason-docs.ts, then run npm run docs:reasons').to.deep.equal([]);
  });

  it('notices a new reason at once (a file that sets one the page does not know)', () => {
    const root = mkdtempSync(join(tmpdir(), 'canopy-reasons-'));
    try {
      mkdirSync(join(root, 'src', 'reconcilers'), { recursive: true });
      writeFileSync(
        join(root, 'src', 'reconcilers', 'new.ts'),
        "ctx.events.warning(lc, 'BrandNewReason', 'x');\nconst s = { status: 'False', reason: 'AnotherNewReason' };\n",
      );
      expect(findReasons(root).map((r) => r.reason)).to.deep.equal(['AnotherNewReason', 'BrandNewReason']);
      expect(() => renderTroubleshooting(root)).to.throw(
        'reasons set in src/ without an explanation in src/dev/reason-docs.ts: AnotherNewReason, BrandNewReason',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('explains no reason the code no longer sets', () => {
    expect(
      Object.keys(REASON_DOCS).filter((r) => !names.includes(r)),
      'remove these from src/dev/reason-docs.ts',
    ).to.deep.equal([]);
  });

  it('says where each reason shows and what it means', () => {
    for (const [reason, doc] of Object.entries(REASON_DOCS)) {
      expect(doc.where.trim(), reason).to.not.equal('');
      expect(doc.meaning.trim(), reason).to.match(/\.$/);
    }
  });

  it('is what npm run docs:reasons writes', () => {
    const onDisk = readFileSync(join(repoRoot, TROUBLESHOOTING_PATH), 'utf8');
    if (onDisk !== renderTroubleshooting(repoRoot)) expect.fail(`${TROUBLESHOOTING_PATH} is stale: run npm run docs:reasons`);
    for (const reason of names) expect(onDisk, reason).to.include(`\`${reason}\``);
  });
});

describe('docs/api-reference.md', () => {
  const page = renderApiReference();

  it('is what npm run docs:api writes', () => {
    if (readFileSync(join(repoRoot, API_REFERENCE_PATH), 'utf8') !== page) expect.fail(`${API_REFERENCE_PATH} is stale: run npm run docs:api`);
  });

  it('has a section for every kind and a row for every spec and status field', () => {
    const rows = new Set([...page.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!));
    for (const crd of customResourceDefinitionManifests()) {
      expect(page).to.include(`## ${crd.spec.names.kind}\n`);
      const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
      const missing: string[] = [];
      const visit = (schema: JSONSchemaProps, path: string) => {
        if (!rows.has(path)) missing.push(`${crd.spec.names.kind} ${path}`);
        for (const [name, child] of Object.entries(schema.properties ?? {})) visit(child, `${path}.${name}`);
        for (const [name, child] of Object.entries(schema.items?.properties ?? {})) visit(child, `${path}[].${name}`);
      };
      for (const top of ['spec', 'status']) if (root.properties?.[top]) visit(root.properties[top]!, top);
      expect(missing).to.deep.equal([]);
    }
  });

  it('shows defaults and validation as the apiserver enforces them', () => {
    expect(page).to.match(/\| `spec\.failoverAfterSeconds` \| integer \|[^|]*\| `30` \| value 0–86400 \|/);
    expect(page).to.include('one of `"In"`, `"NotIn"`, `"Exists"`, `"DoesNotExist"`');
  });
});
