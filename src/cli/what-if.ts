/**
 * `what-if`: the placement engine run twice, on the clusters as they are and
 * as a proposed change would leave them (a label set or removed, a taint, a
 * new price, a cluster lost), and the objects whose decision differs. The
 * engine is the operator's own `schedule`, so the answer is the decision the
 * operator would make, not an approximation of it. Pure: no I/O.
 */
import { schedule } from '../reconcilers/placement/engine.js';
import type { Cluster, ClusterPlacement, Pricing, ScheduleInput, Taint } from '../reconcilers/placement/types.js';
import { CliError } from './errors.js';

export type ClusterChange =
  | { readonly kind: 'set-label'; readonly cluster: string; readonly key: string; readonly value: string }
  | { readonly kind: 'remove-label'; readonly cluster: string; readonly key: string }
  | { readonly kind: 'taint'; readonly cluster: string; readonly taint: Taint }
  | { readonly kind: 'price'; readonly cluster: string; readonly pricing: Pricing }
  | { readonly kind: 'lose'; readonly cluster: string };

export type WhatIfOutcome = 'Moves' | 'Unschedulable' | 'Rebalances' | 'Schedulable';

export interface WhatIfRow {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly workspace?: string;
  readonly before: readonly ClusterPlacement[];
  readonly after: readonly ClusterPlacement[];
  readonly outcome: WhatIfOutcome;
  /** Why, in the engine's words when the object becomes unschedulable. */
  readonly message: string;
}

export function describeChange(change: ClusterChange): string {
  switch (change.kind) {
    case 'set-label':
      return `${change.cluster} gets label ${change.key}=${change.value}`;
    case 'remove-label':
      return `${change.cluster} loses label ${change.key}`;
    case 'taint':
      return `${change.cluster} gets taint ${change.taint.key}${change.taint.value ? `=${change.taint.value}` : ''}:${change.taint.effect}`;
    case 'price':
      return `${change.cluster} is priced ${Object.entries(change.pricing)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`;
    case 'lose':
      return `${change.cluster} is lost`;
  }
}

/** The clusters after the changes; every named cluster must exist. */
export function applyChanges(clusters: readonly Cluster[], changes: readonly ClusterChange[]): Cluster[] {
  const names = new Set(clusters.map((c) => c.metadata.name));
  for (const change of changes) if (!names.has(change.cluster)) throw new CliError(`cluster ${change.cluster} not found`);
  const lost = new Set(changes.filter((c) => c.kind === 'lose').map((c) => c.cluster));
  return clusters.filter((c) => !lost.has(c.metadata.name!)).map((c) => changes.filter((ch) => ch.cluster === c.metadata.name).reduce(applyOne, c));
}

function applyOne(c: Cluster, change: ClusterChange): Cluster {
  const labels = { ...(c.metadata.labels ?? {}) };
  switch (change.kind) {
    case 'set-label':
      labels[change.key] = change.value;
      return { ...c, metadata: { ...c.metadata, labels } };
    case 'remove-label':
      delete labels[change.key];
      return { ...c, metadata: { ...c.metadata, labels } };
    case 'taint': {
      const others = (c.spec?.taints ?? []).filter((t) => !(t.key === change.taint.key && t.effect === change.taint.effect));
      return { ...c, spec: { ...c.spec, taints: [...others, change.taint] } };
    }
    case 'price':
      return { ...c, spec: { ...c.spec, pricing: { ...(c.spec?.pricing ?? {}), ...change.pricing } } };
    case 'lose':
      return c;
  }
}

/** Objects whose placement the changes would alter, sorted by namespace, name and kind. */
export function whatIf(
  inputs: readonly ScheduleInput[],
  changes: readonly ClusterChange[],
  workspaceOf: (namespace: string) => string | undefined = () => undefined,
): WhatIfRow[] {
  const cache = new Map<readonly Cluster[], Cluster[]>();
  const changed = (clusters: readonly Cluster[]): Cluster[] => {
    let after = cache.get(clusters);
    if (!after) cache.set(clusters, (after = applyChanges(clusters, changes)));
    return after;
  };
  const rows: WhatIfRow[] = [];
  for (const input of inputs) {
    const before = schedule(input);
    const after = schedule({ ...input, clusters: changed(input.clusters) });
    const row = compare(before.placement, after.placement, before.condition.status === 'True', after.condition.status === 'True', after.condition.message);
    if (!row) continue;
    const namespace = input.object.metadata.namespace ?? '';
    const workspace = workspaceOf(namespace);
    rows.push({
      kind: input.object.kind,
      namespace,
      name: input.object.metadata.name,
      ...(workspace ? { workspace } : {}),
      before: before.placement,
      after: after.placement,
      ...row,
    });
  }
  return rows.sort((a, b) => `${a.namespace}/${a.name}/${a.kind}`.localeCompare(`${b.namespace}/${b.name}/${b.kind}`));
}

function compare(
  before: readonly ClusterPlacement[],
  after: readonly ClusterPlacement[],
  wasScheduled: boolean,
  isScheduled: boolean,
  afterMessage: string,
): { outcome: WhatIfOutcome; message: string } | undefined {
  if (wasScheduled && !isScheduled) return { outcome: 'Unschedulable', message: afterMessage };
  if (!wasScheduled && isScheduled) return { outcome: 'Schedulable', message: `would be placed on ${clusterList(after)}` };
  if (!wasScheduled) return undefined;
  const was = new Set(before.map((p) => p.cluster));
  const is = new Set(after.map((p) => p.cluster));
  const leaves = [...was].filter((c) => !is.has(c)).sort();
  const joins = [...is].filter((c) => !was.has(c)).sort();
  if (leaves.length > 0 || joins.length > 0) {
    return {
      outcome: 'Moves',
      message: [leaves.length ? `leaves ${leaves.join(', ')}` : '', joins.length ? `to ${joins.join(', ')}` : ''].filter(Boolean).join(' '),
    };
  }
  const replicas = new Map(before.map((p) => [p.cluster, p.replicas]));
  if (after.some((p) => replicas.get(p.cluster) !== p.replicas))
    return { outcome: 'Rebalances', message: `replicas ${clusterList(before)} → ${clusterList(after)}` };
  return undefined;
}

/** `eu-1(2), eu-2(1)`, or `-` for nowhere. */
export function clusterList(placement: readonly { readonly cluster: string; readonly replicas?: number | undefined }[]): string {
  if (placement.length === 0) return '-';
  return placement.map((p) => p.cluster + (p.replicas !== undefined ? `(${p.replicas})` : '')).join(', ');
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** kubectl taint's syntax: `key[=value]:Effect`. */
export function parseTaint(text: string): Taint {
  const match = /^([A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)(=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)?:([A-Za-z]+)$/.exec(text.trim());
  if (!match || !EFFECTS.includes(match[6]!)) throw new CliError(`--taint: "${text}" is not key[=value]:Effect with Effect one of ${EFFECTS.join(', ')}`);
  return { key: match[1]!, ...(match[4] ? { value: match[4] } : {}), effect: match[6]! };
}

const PRICE_KEYS = ['cpuHour', 'memoryGiBHour', 'loadBalancerHour'] as const;

/** `cpuHour=0.04[,memoryGiBHour=0.005][,loadBalancerHour=0.02]`. */
export function parsePricing(text: string): Pricing {
  const pricing: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value, extra] = part.split('=');
    const amount = Number(value);
    if (
      extra !== undefined ||
      !(PRICE_KEYS as readonly string[]).includes(key!) ||
      value === undefined ||
      value === '' ||
      !Number.isFinite(amount) ||
      amount < 0
    ) {
      throw new CliError(`--price: "${part}" is not ${PRICE_KEYS.join('|')}=<non-negative number>`);
    }
    pricing[key!] = amount;
  }
  if (Object.keys(pricing).length === 0) throw new CliError(`--price: give at least one of ${PRICE_KEYS.join(', ')}`);
  return pricing;
}
