/**
 * What a propagated copy consists of, and the fingerprint that tells whether a
 * copy still matches its source.
 *
 * A copy is its source's body (everything but apiVersion, kind, metadata and
 * status), the source's labels plus inherited-from and managed-by, and the
 * source's annotations except kubectl's last-applied record (it describes how
 * the source was applied, not what it is). The fingerprint covers exactly
 * that, so hashing a source and hashing an in-sync copy give the same value,
 * and a hand edit anywhere in a copy (a label, a subject, a data key) shows as
 * a different fingerprint.
 *
 * The informers keep objects stripped down to identity, labels, the
 * propagate.canopy.dev/* annotations and this fingerprint: copies (most of
 * the objects) and whatever lives outside the tree are never read whole.
 * Only possible sources, non-copies in home namespaces, keep their bodies.
 */

import type { Labels } from '../../crds/common.js';
import { createHash } from 'node:crypto';
import { ANNOTATION_PROPAGATE_NONE, ANNOTATION_PROPAGATE_SELECT, LABEL_INHERITED_FROM, LABEL_MANAGED_BY } from '../../crds/labels.js';
import type { KubeObject } from '../../runtime/index.js';
import { stableJson } from '../../hierarchy/forest.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** An object as the workspace informers keep it. */
export interface TrackedObject extends KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    /** Only the propagate.canopy.dev/* annotations. */
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  /** Fingerprint of the propagated content (contentHash). */
  hash: string;
  /** Never a propagation source (see excludedReason). */
  excluded?: boolean;
  /** The whole object, kept for sources only (see strip's keepBody), so copying needs no read. */
  body?: KubeObject;
}

type Json = Record<string, unknown>;

function without(record: Readonly<Record<string, string>> | undefined, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (!keys.includes(key)) out[key] = value;
  return out;
}

/** The object's body: every top-level field but apiVersion, kind, metadata and status. */
export function bodyOf(object: KubeObject): Json {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...body } = object as Json;
  return body;
}

/** Labels a copy carries besides inherited-from and managed-by (what the source would give it). */
export function propagatedLabels(labels: Labels | undefined): Record<string, string> {
  return without(labels, [LABEL_INHERITED_FROM, LABEL_MANAGED_BY]);
}

export function propagatedAnnotations(annotations: Labels | undefined): Record<string, string> {
  return without(annotations, [LAST_APPLIED_ANNOTATION]);
}

/** Fingerprint of what a copy of `object` holds; equal for a source and its in-sync copies. */
export function contentHash(object: KubeObject): string {
  const content = stableJson({
    labels: propagatedLabels(object.metadata?.labels),
    annotations: propagatedAnnotations(object.metadata?.annotations),
    body: bodyOf(object),
  });
  return createHash('sha1').update(content).digest('base64url');
}

/**
 * Objects that exist in every namespace or belong to it, which must never be
 * copied (HNC skips the same ones): the root CA bundle KCM publishes
 * everywhere, service-account token Secrets, Canopy's own per-namespace
 * objects (the owners' RoleBinding), and anything another controller owns.
 */
export function excludedReason(object: KubeObject): string | undefined {
  const meta = object.metadata ?? {};
  if (object.kind === 'ConfigMap' && meta.name === 'kube-root-ca.crt') return 'published in every namespace by Kubernetes';
  if (object.kind === 'Secret' && (object as { type?: string }).type === 'kubernetes.io/service-account-token') return 'a service-account token';
  if (meta.labels?.[LABEL_MANAGED_BY] !== undefined && meta.labels[LABEL_INHERITED_FROM] === undefined) return 'managed by a controller';
  if ((meta.ownerReferences ?? []).some((ref) => ref.controller === true)) return 'owned by a controller';
  return undefined;
}

/**
 * The informer transform: keeps identity, labels, the propagate.* annotations
 * and the fingerprint, plus the whole object when `keepBody` says it may be a
 * source (a non-copy in a home namespace: few, and read on every change).
 */
export function strip(object: KubeObject, keepBody?: (object: KubeObject) => boolean): TrackedObject {
  const tracked = withHash(object, contentHash(object));
  if (excludedReason(object) !== undefined) tracked.excluded = true;
  else if (keepBody?.(object)) tracked.body = object;
  return tracked;
}

/** strip with a fingerprint already known (a copy just written, or a version already seen). */
export function withHash(object: KubeObject, hash: string): TrackedObject {
  const meta = object.metadata ?? {};
  const annotations: Record<string, string> = {};
  for (const key of [ANNOTATION_PROPAGATE_NONE, ANNOTATION_PROPAGATE_SELECT]) {
    const value = meta.annotations?.[key];
    if (value !== undefined) annotations[key] = value;
  }
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    metadata: {
      name: meta.name ?? '',
      namespace: meta.namespace ?? '',
      ...(meta.uid ? { uid: meta.uid } : {}),
      ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(meta.deletionTimestamp ? { deletionTimestamp: String(meta.deletionTimestamp) } : {}),
    },
    hash,
  };
}

/** The copy of `source` (as read from the apiserver) for namespace `namespace`. */
export function copyFor(source: KubeObject, namespace: string, labels: Record<string, string>): KubeObject & Json {
  const annotations = propagatedAnnotations(source.metadata?.annotations);
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    metadata: {
      name: source.metadata?.name ?? '',
      namespace,
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    ...bodyOf(source),
  };
}
