/**
 * LogicalCluster initializers: the list a logical cluster is born with (the
 * union of its workspaces' spec.initializers), fixed once in
 * status.initializers; the kubeconfig is issued only when every initializer
 * has removed its name. Pure, so the reconciler and the tests share it.
 */

import type { LogicalClusterLike } from '../../hierarchy/logical-cluster.js';
import { effectiveInitializers, type EffectiveInitializers, type InitializerLevel } from '../../hierarchy/initializers.js';
import type { Lookup } from './context.js';

export const InitializedReasons = {
  /** Initialized = False: names still in status.initializers. */
  Waiting: 'WaitingForInitializers',
  /** Initialized = True: every initializer removed its name. */
  Done: 'InitializersDone',
} as const;

/**
 * The union of spec.initializers over the workspace and its ancestors, or
 * undefined when the chain is broken (missing workspace, cycle): the plan
 * fails then anyway, and the list is fixed once the chain is whole.
 */
export function workspaceInitializers(lookup: Pick<Lookup, 'workspace'>, name: string): EffectiveInitializers | undefined {
  const levels: InitializerLevel[] = [];
  const seen = new Set<string>();
  let current: string | undefined = name;
  while (current) {
    if (seen.has(current)) return undefined;
    seen.add(current);
    const ws = lookup.workspace(current);
    if (!ws) return undefined;
    levels.push({ workspace: current, initializers: ws.spec?.initializers });
    current = ws.spec?.parent || undefined;
  }
  return effectiveInitializers(levels.reverse());
}

/**
 * Whether the logical cluster's initializer list is already fixed: written
 * (status.initializers present, even emptied or removed by the last
 * initializer, which leaves the Initialized condition), or the logical
 * cluster was served before initializers existed (a kubeconfig was issued).
 */
export function initializersFixed(lc: LogicalClusterLike): boolean {
  const s = lc.status;
  if (!s) return false;
  return s.initializers !== undefined || s.kubeconfigSecretRef !== undefined || (s.conditions ?? []).some((c) => c.type === 'Initialized');
}

/** Names still to run (none when the list is not fixed yet or emptied). */
export function pendingInitializers(lc: LogicalClusterLike): readonly string[] {
  return lc.status?.initializers ?? [];
}

/**
 * Coarse on purpose: the message is rewritten only when this text changes,
 * so a stuck logical cluster costs one status write a minute at first and
 * fewer later, not one per reconcile.
 */
export function formatWaited(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${minutes % 60 ? ` ${minutes % 60}m` : ''}`;
  return `${Math.floor(hours / 24)}d${hours % 24 ? ` ${hours % 24}h` : ''}`;
}

/** Milliseconds until formatWaited(elapsed) changes (when the condition message is next due). */
export function nextWaitedChangeMs(elapsedMs: number): number {
  const e = Math.max(0, elapsedMs);
  const minute = 60_000;
  // Minutes show for the first day, hours after.
  const step = e < 86_400_000 ? minute : 60 * minute;
  return Math.max(1000, step - (e % step));
}

/** The Initialized=False message: every pending name, and how long it has kept the logical cluster waiting. */
export function waitingMessage(pending: readonly string[], sinceMs: number, nowMs: number): string {
  const names = pending.join(', ');
  const who = pending.length === 1 ? `initializer ${names}` : `initializers ${names}`;
  return `waiting on ${who} for ${formatWaited(nowMs - sinceMs)}; each removes its own name from status.initializers when done, and the kubeconfig is issued after the last one`;
}

/** The Initialized=True message once the list is empty. */
export function doneMessage(): string {
  return 'every initializer has removed its name from status.initializers';
}
