/**
 * The objects propagation planning reads: sources in home namespaces, and what
 * already exists in every namespace of the tree (copies and users' objects).
 * Only identity, labels, annotations and a content hash: planning decides
 * where copies go, the shell does the writing.
 */

import type { Labels } from '../../crds/common.js';
import { ANNOTATION_PROPAGATE_NONE, ANNOTATION_PROPAGATE_SELECT, LABEL_INHERITED_FROM, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { typeKey } from '../../hierarchy/inherited-types.js';
import { parseSelectorString, type Requirements } from '../../kube/label-selector.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

export interface SourceObject extends ObjectRef {
  labels?: Labels | undefined;
  annotations?: Labels | undefined;
  /** Fingerprint of the content copies carry; lets a plan skip copies already in sync. */
  hash?: string | undefined;
}

export interface ExistingObject extends ObjectRef {
  labels?: Labels | undefined;
  /** For a copy: the fingerprint of the source content it was written from. */
  hash?: string | undefined;
}

/** Namespace → object key → object. */
export type NamespacedIndex<T> = ReadonlyMap<string, ReadonlyMap<string, T>>;

/** Identity of an object within a namespace, across API versions: "RoleBinding.rbac.authorization.k8s.io/admins". */
export function objectKey(object: { apiVersion: string; kind: string; name: string }): string {
  return `${typeKey(object.apiVersion, object.kind)}/${object.name}`;
}

export function indexByNamespace<T extends ObjectRef>(objects: Iterable<T>): Map<string, Map<string, T>> {
  const index = new Map<string, Map<string, T>>();
  for (const object of objects) {
    let inNamespace = index.get(object.namespace);
    if (!inNamespace) index.set(object.namespace, (inNamespace = new Map()));
    inNamespace.set(objectKey(object), object);
  }
  return index;
}

/**
 * A copy is an object Canopy made: it names its source and carries the
 * managed-by label. Anything else is a user's object, never overwritten or
 * deleted (Canopy never touches an object without managed-by; see
 * docs/architecture.md, "Labels and annotations").
 */
export function isCopy(object: { labels?: Labels | undefined }): boolean {
  return object.labels?.[LABEL_INHERITED_FROM] !== undefined && object.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
}

export function inheritedFrom(object: { labels?: Labels | undefined }): string | undefined {
  return isCopy(object) ? object.labels![LABEL_INHERITED_FROM] : undefined;
}

/** The labels a copy of `source` carries besides the source's own. */
export function copyLabels(source: SourceObject): Record<string, string> {
  return { ...(source.labels ?? {}), [LABEL_INHERITED_FROM]: source.namespace, [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
}

export type SourceReach =
  /** Goes to every descendant namespace. */
  | { kind: 'all' }
  /** Goes to descendant namespaces whose labels match. */
  | { kind: 'select'; requirements: Requirements }
  /** propagate.canopy.dev/none: "true". */
  | { kind: 'none' }
  /** A select annotation that does not parse: goes nowhere, and says why. */
  | { kind: 'invalid'; error: string };

/** What a source's annotations say about where it may go. */
export function sourceReach(source: SourceObject): SourceReach {
  const annotations = source.annotations ?? {};
  if (annotations[ANNOTATION_PROPAGATE_NONE] === 'true') return { kind: 'none' };
  const select = annotations[ANNOTATION_PROPAGATE_SELECT];
  if (select === undefined) return { kind: 'all' };
  const parsed = parseSelectorString(select);
  if (!parsed.ok) return { kind: 'invalid', error: `${ANNOTATION_PROPAGATE_SELECT}: ${parsed.error}` };
  return parsed.requirements.length === 0 ? { kind: 'all' } : { kind: 'select', requirements: parsed.requirements };
}
