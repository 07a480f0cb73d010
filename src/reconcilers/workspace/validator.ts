/**
 * Admission rules for Workspaces: the tree stays a forest (no cycles, no
 * dangling parents), a child only narrows what its parent allows, its name
 * does not take over a namespace it does not own, and only the owners of the
 * relevant part of the tree may change it.
 *
 * Who may do what:
 * - create, delete, move (spec.parent) or widen spec.constraints of a
 *   workspace: whoever administers its parent (an owner of the parent or of a
 *   workspace above it); for a root workspace, cluster admins only;
 * - any other spec change (owners, propagate, narrowing constraints): whoever
 *   administers the workspace itself (its own owners included);
 * - metadata-only updates (labels, finalizers) are left to RBAC.
 */
import { LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE } from '../../crds/labels.js';
import { describeRequester, hasAuthority, type OwnedNode } from '../../admission/authority.js';
import type { AdmissionInput, Requester } from '../../admission/request.js';
import { DEFAULT_RESERVED, type ReservedNamespaces } from '../../admission/reserved-names.js';
import { ancestry, chainEffective, MAX_DEPTH, type Chain, type TreeView, type WorkspaceLike } from '../../admission/tree.js';
import { allow, deny, firstDenial, type Verdict } from '../../admission/verdict.js';
import { checkNarrows, effectiveConstraints } from '../../hierarchy/constraints.js';
import { selectorRequirements } from '../../kube/label-selector.js';

export const WorkspaceRules = {
  reservedName: 'workspace/reserved-name',
  nameTaken: 'workspace/namespace-taken',
  parentMissing: 'workspace/parent-missing',
  cycle: 'workspace/cycle',
  ownership: 'workspace/ownership',
  narrow: 'workspace/constraints-narrow',
} as const;

/** `reserved`: the namespace names no workspace may take (the installation's list; see reserved-names.ts). */
export function validateWorkspace(input: AdmissionInput<WorkspaceLike>, view: TreeView, reserved: ReservedNamespaces = DEFAULT_RESERVED): Verdict {
  if (input.operation === 'DELETE') return checkDelete(input, view);
  const object = input.object;
  if (!object) return allow();
  const name = object.metadata.name ?? '';
  const old = input.operation === 'UPDATE' ? input.oldObject : undefined;
  if (old && sameSpec(old, object)) return allow(); // metadata-only change
  const parent = object.spec?.parent || undefined;
  const oldParent = old?.spec?.parent || undefined;
  const parentChain = parent ? ancestry(view, parent) : undefined;
  return firstDenial([
    () => (old ? allow() : checkName(name, view, reserved)),
    () => checkParent(name, parent, oldParent, parentChain, old !== undefined),
    () => checkOwnership(input.requester, name, object, old, parentChain, view),
    () => checkConstraints(object, parent, parentChain),
  ]);
}

/** Which references the validator needs in the view, so the caller can fetch cache misses first. */
export function workspaceReferences(input: AdmissionInput<WorkspaceLike>): { workspaces: string[] } {
  const names = [input.object?.spec?.parent, input.oldObject?.spec?.parent].filter((n): n is string => !!n);
  return { workspaces: [...new Set(names)] };
}

function checkName(name: string, view: TreeView, reservedNames: ReservedNamespaces): Verdict {
  const reserved = reservedNames.reason(name);
  if (reserved) {
    return deny(WorkspaceRules.reservedName, 'metadata.name', `${reserved}; a workspace's name becomes its home namespace, choose another name`);
  }
  const namespace = view.namespace(name);
  if (!namespace) return allow();
  const labels = namespace.metadata.labels ?? {};
  if (labels[LABEL_LOGICAL_CLUSTER] !== undefined) {
    return deny(
      WorkspaceRules.nameTaken,
      'metadata.name',
      `namespace "${name}" already belongs to logical cluster "${labels[LABEL_LOGICAL_CLUSTER]}"; a workspace's name becomes its home namespace, choose another name`,
    );
  }
  if (labels[LABEL_WORKSPACE] !== name) {
    return deny(
      WorkspaceRules.nameTaken,
      'metadata.name',
      `namespace "${name}" already exists and is not the home namespace of a workspace; choose another name or delete that namespace first`,
    );
  }
  return allow();
}

function checkParent(name: string, parent: string | undefined, oldParent: string | undefined, chain: Chain | undefined, updating: boolean): Verdict {
  if (!parent || !chain) return allow();
  // A tree that broke after the fact (a parent deleted) is reported in status; it must not block unrelated edits.
  if (updating && parent === oldParent) return allow();
  if (parent === name) return deny(WorkspaceRules.cycle, 'spec.parent', `workspace "${name}" cannot be its own parent`);
  if (chain.missing !== undefined) {
    if (chain.missing === parent) {
      return deny(WorkspaceRules.parentMissing, 'spec.parent', `parent workspace "${parent}" does not exist; create it first or choose an existing parent`);
    }
    // An ancestor further up is gone: the tree above is already broken, and
    // attaching more below it only spreads the damage.
    return deny(
      WorkspaceRules.parentMissing,
      'spec.parent',
      `parent workspace "${parent}" hangs under workspace "${chain.missing}", which does not exist; fix that workspace's spec.parent first`,
    );
  }
  const loopAt = chain.nodes.findIndex((n) => n.name === name);
  if (loopAt >= 0) {
    const path = [name, ...chain.nodes.slice(0, loopAt + 1).map((n) => n.name)].join(' → ');
    return deny(
      WorkspaceRules.cycle,
      'spec.parent',
      `making "${parent}" the parent of "${name}" would form a cycle (${path}); choose a parent outside the subtree of "${name}"`,
    );
  }
  // Not a loop: the walk up gave up, and constraints read from a cut chain would miss the root's.
  if (chain.tooDeep && parent !== oldParent) {
    return deny(
      WorkspaceRules.cycle,
      'spec.parent',
      `parent workspace "${parent}" is more than ${MAX_DEPTH} levels below its root; workspace trees are limited to ${MAX_DEPTH} levels`,
    );
  }
  if (chain.cycle && parent !== oldParent) {
    return deny(WorkspaceRules.cycle, 'spec.parent', `parent workspace "${parent}" is part of a cycle (${chain.cycle.join(' → ')}); fix that cycle first`);
  }
  return allow();
}

function owned(chain: Chain | undefined): OwnedNode[] {
  return (chain?.nodes ?? []).map((n) => ({ name: n.name, owners: n.workspace.spec?.owners }));
}

function checkOwnership(
  requester: Requester,
  name: string,
  object: WorkspaceLike,
  old: WorkspaceLike | undefined,
  parentChain: Chain | undefined,
  view: TreeView,
): Verdict {
  if (requester.admin) return allow();
  const who = describeRequester(requester);
  const parent = object.spec?.parent || undefined;
  if (!old) {
    const missing = parentAuthority(requester, parent, parentChain);
    if (!missing) return allow();
    const what = parent ? `create workspace "${name}" under "${parent}"` : `create root workspace "${name}"`;
    return deny(WorkspaceRules.ownership, 'spec.parent', `${who} may not ${what}: ${missing}`);
  }
  const oldParent = old.spec?.parent || undefined;
  if (parent !== oldParent) {
    const missing = parentAuthority(requester, oldParent, oldParent ? ancestry(view, oldParent) : undefined) ?? parentAuthority(requester, parent, parentChain);
    if (!missing) return allow();
    const what = `move workspace "${name}" from ${oldParent ? `"${oldParent}"` : 'the root'} to ${parent ? `"${parent}"` : 'the root'}`;
    return deny(WorkspaceRules.ownership, 'spec.parent', `${who} may not ${what}: ${missing}`);
  }
  if (widens(old, object)) {
    const missing = parentAuthority(requester, parent, parentChain);
    if (!missing) return allow();
    return deny(
      WorkspaceRules.ownership,
      'spec.constraints',
      `${who} may not widen the constraints of workspace "${name}" (they may only be narrowed by its own owners): ${missing}`,
    );
  }
  if (hasAuthority(owned(ancestry(view, name)), requester)) return allow();
  return deny(WorkspaceRules.ownership, 'spec', `${who} may not change workspace "${name}": not an owner of "${name}" or of any workspace above it`);
}

/** Undefined when the requester administers `parent`, else why not (root workspaces: admins only). */
function parentAuthority(requester: Requester, parent: string | undefined, parentChain: Chain | undefined): string | undefined {
  if (requester.admin) return undefined;
  if (!parent) return 'only cluster administrators may manage root workspaces';
  if (hasAuthority(owned(parentChain), requester)) return undefined;
  return `not an owner of workspace "${parent}" or of any workspace above it`;
}

function checkDelete(input: AdmissionInput<WorkspaceLike>, view: TreeView): Verdict {
  const old = input.oldObject;
  if (!old || input.requester.admin) return allow();
  const parent = old.spec?.parent || undefined;
  const missing = parentAuthority(input.requester, parent, parent ? ancestry(view, parent) : undefined);
  if (!missing) return allow();
  return deny(
    WorkspaceRules.ownership,
    'metadata.name',
    `${describeRequester(input.requester)} may not delete workspace "${old.metadata.name ?? ''}": ${missing}`,
  );
}

function checkConstraints(object: WorkspaceLike, parent: string | undefined, parentChain: Chain | undefined): Verdict {
  if (!parent || !parentChain || parentChain.missing !== undefined) return allow();
  const violations = checkNarrows(chainEffective(parentChain), object.spec?.constraints, { parent, subject: 'workspace' });
  const first = violations[0];
  if (!first) return allow();
  return deny(WorkspaceRules.narrow, first.field, stripField(first.message, first.field));
}

/** checkNarrows prefixes messages with the field; the verdict carries the field separately. */
function stripField(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

/** Whether the new constraints allow anything the old ones did not. */
function widens(old: WorkspaceLike, object: WorkspaceLike): boolean {
  const before = effectiveConstraints([{ workspace: old.metadata.name ?? '', constraints: old.spec?.constraints }]);
  return checkNarrows(before, object.spec?.constraints).length > 0 || droppedLimits(old, object);
}

/** Removing a limit altogether (regions: [] or a deleted quota) widens too, which checkNarrows cannot see. */
function droppedLimits(old: WorkspaceLike, object: WorkspaceLike): boolean {
  const a = old.spec?.constraints ?? {};
  const b = object.spec?.constraints ?? {};
  const setIn = (c: typeof a, key: keyof typeof a): boolean => {
    const v = c[key];
    return Array.isArray(v) ? v.length > 0 : v !== undefined;
  };
  const keys: (keyof typeof a)[] = ['regions', 'clusterSelector', 'maxLogicalClusters', 'podSecurity', 'costBudget', 'allowedRegistries'];
  if (keys.some((k) => setIn(a, k) && !setIn(b, k))) return true;
  // A selector narrows only if it keeps every requirement it had.
  const key = (r: { key: string; operator: string; values?: readonly string[] }): string => `${r.key} ${r.operator} ${[...(r.values ?? [])].sort().join(',')}`;
  const newReqs = new Set(selectorRequirements(b.clusterSelector).map(key));
  if (selectorRequirements(a.clusterSelector).some((r) => !newReqs.has(key(r)))) return true;
  const oldHard = Object.keys(a.quota?.hard ?? {});
  const newHard = b.quota?.hard ?? {};
  return oldHard.some((r) => newHard[r] === undefined);
}

function sameSpec(a: WorkspaceLike, b: WorkspaceLike): boolean {
  return JSON.stringify(a.spec ?? {}) === JSON.stringify(b.spec ?? {});
}
