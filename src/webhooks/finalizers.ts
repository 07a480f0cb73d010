/**
 * The `finalizers` mutating webhook: a LogicalCluster or PropagatedObject
 * gets its cleanup finalizer in the request that creates it. Without it the
 * reconciler's first act on every new object is a write of its own (a
 * custom-resource update, with its watch event to every informer) just to
 * add the finalizer; with it, that write never happens. The reconcilers still
 * add a missing finalizer, so an object created while the webhook was not
 * registered, or whose finalizer was removed by hand, is handled as before.
 *
 * Never denies: a mutating webhook's refusal would refuse the create, and
 * whether an object may exist is the validating webhooks' to say.
 */
import { FINALIZER as LOGICAL_CLUSTER_FINALIZER } from '../reconcilers/logicalcluster/names.js';
import { FINALIZER as PROPAGATED_OBJECT_FINALIZER } from '../reconcilers/propagation/names.js';
import { ADMISSION_API_VERSION, type AdmissionRequest, type AdmissionReview } from './admission.js';

const CLEANUP_FINALIZERS: Readonly<Record<string, string>> = {
  'canopy.dev/LogicalCluster': LOGICAL_CLUSTER_FINALIZER,
  'canopy.dev/PropagatedObject': PROPAGATED_OBJECT_FINALIZER,
};

export type JsonPatchOperation = { readonly op: 'add'; readonly path: string; readonly value: unknown };

/** The JSON Patch that adds the kind's cleanup finalizer to a created object; empty when there is nothing to add. */
export function finalizerPatch(request: AdmissionRequest): JsonPatchOperation[] {
  if (request.operation !== 'CREATE') return [];
  const finalizer = CLEANUP_FINALIZERS[`${request.kind.group}/${request.kind.kind}`];
  const object = request.object as { metadata?: { finalizers?: unknown } } | null | undefined;
  if (!finalizer || typeof object !== 'object' || object === null) return [];
  const existing = object.metadata?.finalizers;
  if (Array.isArray(existing)) return existing.includes(finalizer) ? [] : [{ op: 'add', path: '/metadata/finalizers/-', value: finalizer }];
  return [{ op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
}

/** Allows the request, with the finalizer patch when there is one. */
export function finalizerReview(request: AdmissionRequest): AdmissionReview {
  const patch = finalizerPatch(request);
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response: {
      uid: request.uid,
      allowed: true,
      ...(patch.length > 0 ? { patchType: 'JSONPatch' as const, patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
    },
  };
}
