/**
 * Which object types propagation can handle right now. Role and RoleBinding
 * are always there (the operator's own ClusterRole covers them); a type named
 * in some workspace's spec.propagate is looked up through discovery and the
 * operator's rights on it are checked with SelfSubjectAccessReviews before an
 * informer starts, so a missing grant shows up as a condition naming the
 * verbs and the fix (an aggregated ClusterRole) instead of a silent retry loop.
 * A denied type is checked again every `recheckMs`, so granting the rights
 * later is picked up without a restart.
 */

import type { Logger } from 'pino';
import { groupOf, isForbidden, isNotFound, Resources, type ApiClient, type ResourceRef } from '../../runtime/index.js';
import { typeKey } from '../../hierarchy/inherited-types.js';
import type { PropagatedType } from '../../hierarchy/types.js';

/** Verbs propagation uses on every propagated type. */
export const PROPAGATION_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;

export type TypeState =
  | { state: 'resolving'; type: PropagatedType }
  | { state: 'ready'; type: PropagatedType; resource: ResourceRef }
  | { state: 'unknown'; type: PropagatedType; message: string }
  | { state: 'cluster-scoped'; type: PropagatedType; message: string }
  | { state: 'forbidden'; type: PropagatedType; resource: ResourceRef; message: string };

export interface TypeRegistryOptions {
  /** How often a denied or unknown type is checked again; default 30 s. */
  readonly recheckMs?: number;
}

/** The remedy, spelled out where a user reads it. */
export function forbiddenMessage(resource: ResourceRef, verbs: readonly string[]): string {
  const group = groupOf(resource.apiVersion);
  return (
    `the operator may not ${verbs.join('/')} ${resource.plural}${group ? `.${group}` : ''}: ` +
    `grant it with a ClusterRole labelled canopy.dev/aggregate-to-operator: "true" allowing ${PROPAGATION_VERBS.join(', ')} ` +
    `on ${resource.plural} in apiGroup "${group}" (it is aggregated into the canopy-operator role)`
  );
}

export class TypeRegistry {
  private readonly states = new Map<string, TypeState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<(key: string, state: TypeState) => void>();
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly logger: Logger,
    private readonly options: TypeRegistryOptions = {},
  ) {
    this.states.set(typeKey(Resources.Role.apiVersion, Resources.Role.kind), { state: 'ready', type: Resources.Role, resource: Resources.Role });
    this.states.set(typeKey(Resources.RoleBinding.apiVersion, Resources.RoleBinding.kind), {
      state: 'ready',
      type: Resources.RoleBinding,
      resource: Resources.RoleBinding,
    });
  }

  /** Called with a type's key whenever its state changes. */
  onChange(listener: (key: string, state: TypeState) => void): void {
    this.listeners.add(listener);
  }

  get(key: string): TypeState | undefined {
    return this.states.get(key);
  }

  ready(): Array<{ key: string; resource: ResourceRef }> {
    const out: Array<{ key: string; resource: ResourceRef }> = [];
    for (const [key, state] of this.states) if (state.state === 'ready') out.push({ key, resource: state.resource });
    return out;
  }

  /** Starts resolving a type named in a spec.propagate (idempotent). */
  ensure(type: PropagatedType): void {
    const key = typeKey(type.apiVersion, type.kind);
    if (this.states.has(key)) return;
    this.set(key, { state: 'resolving', type });
    void this.resolve(key, type);
  }

  /** A write was refused with 403 although the review allowed it (rights revoked since): report it, check again later. */
  writeForbidden(key: string, verb: string): void {
    const current = this.states.get(key);
    if (current?.state !== 'ready') return;
    this.set(key, { state: 'forbidden', type: current.type, resource: current.resource, message: forbiddenMessage(current.resource, [verb]) });
    this.later(key, current.type);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private set(key: string, state: TypeState): void {
    const before = this.states.get(key);
    this.states.set(key, state);
    if (before && before.state === state.state && JSON.stringify(before) === JSON.stringify(state)) return;
    for (const listener of this.listeners) listener(key, state);
  }

  private later(key: string, type: PropagatedType): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.resolve(key, type);
    }, this.options.recheckMs ?? 30_000);
    timer.unref();
    this.timers.add(timer);
  }

  private async resolve(key: string, type: PropagatedType): Promise<void> {
    if (this.stopped) return;
    let resource: ResourceRef;
    try {
      resource = await this.client.resourceFor(type.apiVersion, type.kind);
    } catch (err) {
      const message = isNotFound(err)
        ? `the API server serves no kind ${type.kind} in ${type.apiVersion}; install its CustomResourceDefinition or fix spec.propagate`
        : `cannot look up ${type.kind} in ${type.apiVersion}: ${(err as Error).message}`;
      this.set(key, { state: 'unknown', type, message });
      this.later(key, type);
      return;
    }
    if (!resource.namespaced) {
      this.set(key, { state: 'cluster-scoped', type, message: `${type.kind} is cluster-scoped; only namespaced types can be copied into namespaces` });
      return;
    }
    try {
      const denied = await this.deniedVerbs(resource);
      if (denied.length > 0) {
        this.set(key, { state: 'forbidden', type, resource, message: forbiddenMessage(resource, denied) });
        this.later(key, type);
        return;
      }
    } catch (err) {
      if (!isForbidden(err)) this.logger.warn({ type: key, err: (err as Error).message }, 'access review failed; retrying');
      this.later(key, type);
      return;
    }
    this.set(key, { state: 'ready', type, resource });
  }

  private async deniedVerbs(resource: ResourceRef): Promise<string[]> {
    const group = groupOf(resource.apiVersion);
    const answers = await Promise.all(
      PROPAGATION_VERBS.map(async (verb) => {
        const review = await this.client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { group, resource: resource.plural, verb } },
          },
        });
        return review.status?.allowed === true ? undefined : verb;
      }),
    );
    return answers.filter((v): v is (typeof PROPAGATION_VERBS)[number] => v !== undefined);
  }
}
