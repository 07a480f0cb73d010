import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../controlplane/launcher/index.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface RbacObject {
  kind: string;
  metadata: { name: string };
  rules?: Rule[];
}

const WEBHOOK_CONFIGURATIONS = ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'];
const WEBHOOK_NAMES = ['canopy-mutating', 'canopy-validating'];

function parse(text: string, source: string): RbacObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as RbacObject | null)
    .filter((o): o is RbacObject => o !== null && (o.kind === 'ClusterRole' || o.kind === 'Role'))
    .map((o) => ({ ...o, metadata: { ...o.metadata, name: `${source}: ${o.kind} ${o.metadata.name}` } }));
}

/**
 * The chart's roles as release `canopy` renders them: files/cluster_role.yaml
 * (templates/clusterrole.yaml renames nothing for that release) and
 * templates/rbac.yaml with its few template expressions replaced by what they render to.
 */
function chartRoles(): RbacObject[] {
  const chart = join(repoRoot, 'charts', 'canopy');
  const text = readFileSync(join(chart, 'templates', 'rbac.yaml'), 'utf8')
    .replace(/\{\{\s*\$operator\s*\}\}/g, 'canopy-operator')
    .replace(/\{\{\s*include "canopy\.fullname" \.\s*\}\}/g, 'canopy')
    .replace(/^\s*\{\{-.*\}\}\s*$/gm, '')
    .replace(/labels:\s*\{\{-[^}]*\}\}/g, 'labels: {}')
    .replace(/\{\{[^}]*\}\}/g, 'rendered');
  return [
    ...parse(readFileSync(join(chart, 'files', 'cluster_role.yaml'), 'utf8'), 'charts/canopy/templates/clusterrole.yaml'),
    ...parse(text, 'charts/canopy/templates/rbac.yaml'),
  ];
}

function configRoles(): RbacObject[] {
  const dir = join(repoRoot, 'config', 'rbac');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parse(readFileSync(join(dir, f), 'utf8'), `config/rbac/${f}`));
}

const rules = (): { role: string; rule: Rule }[] =>
  [...configRoles(), ...chartRoles()].flatMap((r) => (r.rules ?? []).map((rule) => ({ role: r.metadata.name, rule })));

describe('operator RBAC (config/rbac and the chart)', () => {
  it('finds the operator roles in both places', () => {
    const names = [...configRoles(), ...chartRoles()].map((r) => r.metadata.name);
    expect(names).to.include('config/rbac/cluster_role.yaml: ClusterRole canopy-operator-core');
    expect(names).to.include('charts/canopy/templates/clusterrole.yaml: ClusterRole canopy-operator-core');
    expect(names).to.include('charts/canopy/templates/rbac.yaml: Role canopy-leader-election');
  });

  it('grants no wildcard verb, resource or API group, and no non-resource URL', () => {
    for (const { role, rule } of rules()) {
      const where = `${role}: ${JSON.stringify(rule)}`;
      expect(rule.verbs, where).to.not.include('*');
      expect(rule.resources ?? [], where).to.not.include('*');
      expect(rule.apiGroups ?? [], where).to.not.include('*');
      expect(rule.nonResourceURLs ?? [], where).to.deep.equal([]);
      expect(rule.verbs, where).to.not.include('impersonate');
    }
  });

  it('writes webhook configurations other than by create only under their own names', () => {
    const webhookRules = rules().filter(({ rule }) => (rule.resources ?? []).some((r) => WEBHOOK_CONFIGURATIONS.includes(r)));
    expect(webhookRules, 'the operator applies its own webhook configurations').to.not.be.empty;
    for (const { role, rule } of webhookRules) {
      const where = `${role}: ${JSON.stringify(rule)}`;
      // RBAC cannot restrict create by name; everything else must be.
      if (rule.verbs.every((v) => v === 'create')) continue;
      expect([...(rule.resourceNames ?? [])].sort(), where).to.deep.equal(WEBHOOK_NAMES);
      expect(rule.verbs, where).to.not.include.members(['list', 'watch', 'deletecollection']);
    }
  });

  it('holds escalate and bind only on namespaced Roles, and bind on ClusterRoles only by name', () => {
    for (const { role, rule } of rules()) {
      const where = `${role}: ${JSON.stringify(rule)}`;
      const privileged = rule.verbs.filter((v) => v === 'escalate' || v === 'bind');
      if (privileged.length === 0) continue;
      expect(rule.apiGroups, where).to.deep.equal(['rbac.authorization.k8s.io']);
      const resources = rule.resources ?? [];
      if (resources.includes('clusterroles')) {
        expect(rule.verbs, where).to.deep.equal(['bind']);
        expect(rule.resourceNames ?? [], where).to.not.be.empty;
        expect(rule.resourceNames, where).to.not.include('cluster-admin');
      } else {
        expect(resources, where).to.deep.equal(['roles']);
      }
    }
  });
});
