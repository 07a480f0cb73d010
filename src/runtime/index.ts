/**
 * Canopy's controller runtime: controller-runtime's model on
 * @kubernetes/client-node. Reconciler authors need only what this file exports;
 * see README.md in this folder for a walkthrough and an example.
 */
export { Manager } from './manager.js';
export type { ManagerOptions, Runnable, StopReason } from './manager.js';
export { Controller, generationChanged, ownerRequests } from './controller.js';
export type { ControllerOptions, MapFunc, Predicate, ReconcileContext, ReconcileFunc, ReconcileResult, Reconciler, Source, WatchSpec } from './controller.js';
export { Informer } from './informer.js';
export { CoalescingWriter } from './coalescing-writer.js';
export type { CoalescingWriterOptions } from './coalescing-writer.js';
export { OwnWrites } from './own-writes.js';
export type { WriteListener } from './own-writes.js';
export { REPORT_MAX_DEFER_MS, UrgentWork } from './urgent-work.js';
export type { InformerEvent, InformerHandler, InformerOptions, InformerSelector } from './informer.js';
export { labelIndex, NAMESPACE_INDEX, OWNER_UID_INDEX } from './store.js';
export type { IndexFunc } from './store.js';
export { Resources, resourcePath, groupOf, knownResource } from './resources.js';
export type { ResourceRef } from './resources.js';
export { controllerOf, isBeingDeleted, objectKey, parseKey, requestFor, requestKey } from './object.js';
export type { KubeObject, ObjectMeta, OwnerReference, Request } from './object.js';
export { ApiClient, kubeConfigRequestMaterial } from './http.js';
export { KubeConfig } from './kubeconfig.js';
export type { ClusterEndpoint, KubeConfigSource } from './kubeconfig.js';
export type { DeleteOptions, ListOptions, ListPage, PatchType, WatchEvent } from './http.js';
export { apply, clientFor, deleteIfManaged, isManaged, patchStatus, withManagedLabel } from './client.js';
// The label and field manager every write carries: declared once, with the API (crds/labels.ts).
export { FIELD_MANAGER, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../crds/labels.js';
export type { ApplyOptions, ClientTarget } from './client.js';
export { ApiError, isAlreadyExists, isConflict, isForbidden, isGone, isInvalid, isNotFound } from './errors.js';
export type { Status } from './errors.js';
export type { EventRecorder, EventType, EventV1 } from './events.js';
export { EventsV1 } from './events.js';
export { MemberClusterPool, MemberClusterUnavailableError } from './members.js';
export type { MemberCluster, MemberUnavailableReason } from './members.js';
export type { LeaderElectionOptions } from './leader.js';
export type { RateLimiterOptions } from './ratelimit.js';
export { createLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { FakeClock, systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { runUntilSignal } from './signals.js';
export { typedClient } from './typed-client.js';
export type { TypedClient } from './typed-client.js';
export type { WatchOptions } from './http.js';
// Conditions are stamped by one rule everywhere (kube/conditions.ts); reconcilers written against the runtime use it too.
export { findCondition, sameConditions, setConditions, transitionTime } from '../kube/conditions.js';
export type { ConditionUpdate } from '../kube/conditions.js';
// The manager's Prometheus registry (manager.metrics.registry): an extension's own metrics register there and share /metrics.
export type { RuntimeMetrics } from './metrics.js';
