/**
 * The rollout decision for one PropagatedObject, pure: given the revision
 * that should run (a hash of the resolved template and the overrides), what
 * each placed cluster runs and how it is doing, the strategy and the
 * pause/approval state, which clusters may receive the new revision now and
 * why the others are held.
 *
 * - `All`: every cluster at once (the syncer does not even ask).
 * - `Rolling`: at most `maxUnavailableClusters + maxSurgeClusters` clusters
 *   run the new revision without being done (Ready for it for
 *   `minReadySeconds`) at any time; the next one gets it only when one of
 *   them is done.
 * - `Staged`: the stages in order; a stage starts when the previous one is
 *   done and its `waitSeconds` passed, and, with `approval: Manual`, when it
 *   is approved for this revision.
 *
 * Clusters that get their first copy (a placement change: a rebalance, a
 * failback, a policy asking for more clusters) go through the same strategy
 * when `paceAdditions` is set (see `additionPacing`): Rolling adds at most
 * `maxSurgeClusters` (at least one) new clusters at a time, within the
 * overall `maxUnavailableClusters + maxSurgeClusters` in flight, each done
 * (Ready for `minReadySeconds`) before the next; Staged adds them stage by
 * stage, with the stages' `waitSeconds` and `approval: Manual`. They are not
 * paced for a first placement (nothing runs yet) nor for a failover away
 * from a cluster that cannot serve (unreachable, tainted NoExecute, not
 * Ready, or a leaving copy that is not Ready): availability comes first.
 * A cluster that has not received the new revision and cannot be reached, or
 * one that received it and is not Ready within `progressDeadlineSeconds`,
 * stops the rollout: clusters already updated keep the new revision, the
 * others keep what they run, until the object changes again (a fix or an
 * undo) or, for an unreachable cluster, until it answers again.
 */
import type { Labels, LabelSelector } from '../../crds/common.js';
import {
  DEFAULT_MAX_SURGE_CLUSTERS,
  DEFAULT_MAX_UNAVAILABLE_CLUSTERS,
  DEFAULT_PROGRESS_DEADLINE_SECONDS,
  type Rollout,
  type RolloutPhase,
  type RolloutStrategy,
} from '../../crds/rollout.js';
import { matchesSelector } from '../../kube/label-selector.js';

/** The stage placed clusters fall into when no stage of a Staged rollout selects them. */
export const REMAINING_STAGE = 'remaining';

/** What the syncer knows about one placed cluster. */
export interface RolloutCluster {
  readonly name: string;
  readonly labels: Labels;
  /** A copy (of any revision) runs there. */
  readonly hasCopy: boolean;
  /** The copy runs the desired revision (or it was applied there moments ago). */
  readonly updated: boolean;
  /** The copy is Ready for the desired revision (only meaningful when updated). */
  readonly ready: boolean;
  /** When the copy was first seen Ready for the desired revision (ms since epoch). */
  readonly readySince?: number | undefined;
  /** When the desired revision was applied there (ms since epoch), if known. */
  readonly releasedAt?: number | undefined;
  readonly reachable: boolean;
  /** It received its first copy in this rollout and is not done yet (counts against maxSurgeClusters). */
  readonly added?: boolean | undefined;
}

export type StopReason = 'ProgressDeadlineExceeded' | 'ClusterUnreachable';

export interface RolloutStop {
  readonly cluster: string;
  readonly revision: string;
  readonly reason: StopReason;
  readonly message: string;
}

export interface RolloutInput {
  readonly revision: string;
  readonly generation: number;
  readonly rollout: Rollout;
  readonly clusters: readonly RolloutCluster[];
  readonly paused: boolean;
  /** Stage names approved for this revision. */
  readonly approvedStages: ReadonlySet<string>;
  /** A stop reported earlier (status.rollout); it holds while the revision is the same. */
  readonly stopped?: RolloutStop | undefined;
  /** Clusters without a copy wait for the strategy like the others (additionPacing); otherwise they get it at once. */
  readonly paceAdditions?: boolean | undefined;
  readonly now: number;
}

/** A cluster that holds a copy now, placed or leaving the placement. */
export interface CopyHolder {
  readonly name: string;
  /** Still in the placement (false: the placement moved away from it). */
  readonly placed: boolean;
  readonly reachable: boolean;
  /** A NoExecute taint, or the Cluster reports itself not Ready. */
  readonly unhealthy: boolean;
  /** The copy there is Ready (for any revision). */
  readonly ready: boolean;
}

export interface AdditionPacing {
  readonly paced: boolean;
  /** Why additions are or are not paced, for status messages. */
  readonly reason: string;
  /** The clusters a failover moves away from (additions then are not paced). */
  readonly failoverFrom: readonly string[];
}

/**
 * Whether clusters that get their first copy now are paced by the strategy.
 * Not paced when nothing runs yet (a first placement) or when a cluster
 * holding a copy cannot serve it: unreachable, tainted or not Ready, or
 * leaving the placement with a copy that is not Ready (an application-level
 * failover). A failover must not wait for a rollout. Otherwise the change is
 * a rebalance, a failback or a policy change, and is paced.
 */
export function additionPacing(holders: readonly CopyHolder[]): AdditionPacing {
  if (holders.length === 0) return { paced: false, reason: 'first placement: nothing runs yet', failoverFrom: [] };
  const lost = holders
    .filter((h) => !h.reachable || h.unhealthy || (!h.placed && !h.ready))
    .map((h) => h.name)
    .sort();
  if (lost.length > 0) return { paced: false, reason: `failover away from ${list(lost)}: not paced, availability first`, failoverFrom: lost };
  return { paced: true, reason: 'placement change of a running object: new clusters are paced by the strategy', failoverFrom: [] };
}

export interface RolloutDecision {
  readonly strategy: RolloutStrategy;
  /** Clusters that get (or keep) the desired revision. */
  readonly release: ReadonlySet<string>;
  /** Clusters that keep what they run, and why. */
  readonly held: ReadonlyMap<string, string>;
  readonly phase: RolloutPhase;
  readonly stage?: string | undefined;
  readonly waitingFor: readonly string[];
  readonly message: string;
  readonly stopped?: RolloutStop | undefined;
  /** When to look again by itself (minReadySeconds, waitSeconds or the progress deadline running out). */
  readonly requeueAfterMs?: number | undefined;
}

interface Resolved {
  readonly strategy: RolloutStrategy;
  readonly maxUnavailable: number;
  readonly maxSurge: number;
  readonly minReadyMs: number;
  readonly deadlineMs: number;
}

function resolve(r: Rollout): Resolved {
  return {
    strategy: r.strategy ?? 'All',
    maxUnavailable: r.maxUnavailableClusters ?? DEFAULT_MAX_UNAVAILABLE_CLUSTERS,
    maxSurge: r.maxSurgeClusters ?? DEFAULT_MAX_SURGE_CLUSTERS,
    minReadyMs: (r.minReadySeconds ?? 0) * 1000,
    deadlineMs: (r.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000,
  };
}

/** Parses the approval annotation (comma-separated `stage` or `stage@revision`) into the stages approved for `revision`. */
export function approvedStages(annotation: string | undefined, revision: string): Set<string> {
  const out = new Set<string>();
  for (const part of (annotation ?? '').split(',')) {
    const item = part.trim();
    if (!item) continue;
    const at = item.indexOf('@');
    if (at < 0) out.add(item);
    else if (item.slice(at + 1) === revision) out.add(item.slice(0, at));
  }
  return out;
}

const list = (names: readonly string[]): string => names.join(', ');
const seconds = (ms: number): string => `${Math.ceil(ms / 1000)}s`;

export function decideRollout(input: RolloutInput): RolloutDecision {
  const cfg = resolve(input.rollout);
  const clusters = [...input.clusters].sort((a, b) => a.name.localeCompare(b.name));
  const release = new Set<string>();
  const held = new Map<string, string>();
  const wakeups: number[] = [];
  const done = (c: RolloutCluster): boolean => c.updated && c.ready && input.now - (c.readySince ?? input.now) >= cfg.minReadyMs;
  const base = { strategy: cfg.strategy };

  if (cfg.strategy === 'All') {
    for (const c of clusters) release.add(c.name);
    const complete = clusters.every(done);
    return {
      ...base,
      release,
      held,
      phase: complete ? 'Complete' : 'Progressing',
      waitingFor: [],
      message: complete ? 'every cluster runs this revision' : 'applied to every cluster at once',
    };
  }

  // Clusters that already run the new revision keep it; clusters without a copy get it straight away unless additions are paced.
  for (const c of clusters) if (c.updated || (!c.hasCopy && !input.paceAdditions)) release.add(c.name);
  const pending = clusters.filter((c) => !release.has(c.name));
  const inFlight = clusters.filter((c) => c.updated && !done(c));
  for (const c of inFlight) {
    if (c.ready && c.readySince !== undefined) wakeups.push(c.readySince + cfg.minReadyMs - input.now);
    else if (c.releasedAt !== undefined) wakeups.push(c.releasedAt + cfg.deadlineMs - input.now);
  }
  const finish = (
    phase: RolloutPhase,
    message: string,
    waitingFor: readonly string[],
    extra: { stage?: string | undefined; stopped?: RolloutStop | undefined } = {},
  ): RolloutDecision => {
    for (const c of clusters) if (!release.has(c.name)) held.set(c.name, held.get(c.name) ?? message);
    const positive = wakeups.filter((w) => w > 0);
    const requeueAfterMs = positive.length > 0 ? Math.min(...positive) + 100 : undefined;
    return { ...base, release, held, phase, waitingFor, message, ...extra, ...(requeueAfterMs !== undefined && phase !== 'Stopped' ? { requeueAfterMs } : {}) };
  };

  if (pending.length === 0 && inFlight.length === 0) return finish('Complete', `every cluster runs revision ${input.revision} and is Ready`, []);

  // A stop holds for the revision it was reported for; a new revision (a fix, an undo) starts afresh.
  const stop = stopOf(input, clusters, pending, cfg);
  if (stop) {
    const message = `stopped at ${stop.cluster} (generation ${input.generation}, revision ${input.revision}): ${stop.message}; ${pending.length > 0 ? `${list(pending.map((c) => c.name))} keep the previous revision` : 'no other cluster is waiting'} (undo, or change the object, to go on)`;
    return finish('Stopped', message, [stop.cluster], { stopped: stop });
  }
  if (input.paused) {
    return finish(
      'Paused',
      `paused (annotation canopy.dev/rollout-paused); ${pending.length} cluster(s) keep the previous revision: ${list(pending.map((c) => c.name))}`,
      [],
    );
  }
  if (cfg.strategy === 'Rolling') {
    // New clusters take nothing away, so they count against the surge (at least one), within the overall budget.
    let budget = Math.max(cfg.maxUnavailable + cfg.maxSurge, 1) - inFlight.length;
    let surge = Math.max(cfg.maxSurge, 1) - inFlight.filter((c) => c.added).length;
    const next: RolloutCluster[] = [];
    for (const c of pending) {
      if (budget <= 0) break;
      if (!c.reachable || (!c.hasCopy && surge <= 0)) continue;
      next.push(c);
      budget--;
      if (!c.hasCopy) surge--;
    }
    for (const c of next) release.add(c.name);
    const updating = [...inFlight.map((c) => c.name), ...next.map((c) => c.name)];
    const rest = pending.filter((c) => !release.has(c.name)).map((c) => c.name);
    const message =
      rest.length > 0
        ? `updating ${list(updating)}; ${list(rest)} follow once ${updating.length === 1 ? 'it is' : 'they are'} Ready${cfg.minReadyMs > 0 ? ` for ${seconds(cfg.minReadyMs)}` : ''}`
        : `updating ${list(updating)}`;
    return finish('Progressing', message, updating);
  }
  return staged(input, clusters, cfg, release, done, wakeups, finish);
}

function stopOf(input: RolloutInput, clusters: readonly RolloutCluster[], pending: readonly RolloutCluster[], cfg: Resolved): RolloutStop | undefined {
  if (input.stopped && input.stopped.revision === input.revision && input.stopped.reason === 'ProgressDeadlineExceeded') {
    const c = clusters.find((x) => x.name === input.stopped?.cluster);
    // Still stopped unless that cluster became Ready for the revision after all.
    if (!c || !(c.updated && c.ready)) return input.stopped;
  }
  for (const c of clusters) {
    if (!c.updated || c.ready || c.releasedAt === undefined) continue;
    const elapsed = input.now - c.releasedAt;
    if (elapsed >= cfg.deadlineMs) {
      return {
        cluster: c.name,
        revision: input.revision,
        reason: 'ProgressDeadlineExceeded',
        message: `the copy on ${c.name} is not Ready ${seconds(elapsed)} after it received the new revision (progressDeadlineSeconds ${cfg.deadlineMs / 1000})`,
      };
    }
  }
  // A new cluster that cannot be reached is skipped, not a stop: it has nothing to keep safe.
  const unreachable = pending.find((c) => !c.reachable && c.hasCopy);
  if (unreachable) {
    return {
      cluster: unreachable.name,
      revision: input.revision,
      reason: 'ClusterUnreachable',
      message: `${unreachable.name} cannot be reached, so it cannot be updated safely; the rollout goes on when it answers again`,
    };
  }
  return undefined;
}

interface Stage {
  readonly name: string;
  readonly selector?: LabelSelector | undefined;
  readonly waitSeconds: number;
  readonly manual: boolean;
  readonly clusters: RolloutCluster[];
}

function staged(
  input: RolloutInput,
  clusters: readonly RolloutCluster[],
  cfg: Resolved,
  release: Set<string>,
  done: (c: RolloutCluster) => boolean,
  wakeups: number[],
  finish: (phase: RolloutPhase, message: string, waitingFor: readonly string[], extra?: { stage?: string | undefined }) => RolloutDecision,
): RolloutDecision {
  const stages: Stage[] = (input.rollout.stages ?? []).map((s) => ({
    name: s.name,
    selector: s.clusterSelector as LabelSelector | undefined,
    waitSeconds: s.waitSeconds ?? 0,
    manual: s.approval === 'Manual',
    clusters: [],
  }));
  const remaining: Stage = { name: REMAINING_STAGE, waitSeconds: 0, manual: false, clusters: [] };
  for (const c of clusters) (stages.find((s) => matchesSelector(s.selector, c.labels)) ?? remaining).clusters.push(c);
  if (remaining.clusters.length > 0) stages.push(remaining);

  let previous: { stage: Stage; doneAt: number } | undefined;
  for (const stage of stages) {
    if (stage.clusters.length === 0) continue;
    if (stage.clusters.every(done)) {
      const doneAt = Math.max(...stage.clusters.map((c) => (c.readySince ?? input.now) + cfg.minReadyMs));
      previous = { stage, doneAt };
      continue;
    }
    const names = stage.clusters.map((c) => c.name);
    if (previous && previous.stage.waitSeconds > 0) {
      const left = previous.doneAt + previous.stage.waitSeconds * 1000 - input.now;
      if (left > 0) {
        wakeups.push(left);
        return finish(
          'Waiting',
          `stage ${previous.stage.name} is done; stage ${stage.name} (${list(names)}) starts in ${seconds(left)}`,
          [`${seconds(left)}`],
          {
            stage: stage.name,
          },
        );
      }
    }
    const started = stage.clusters.some((c) => c.updated && c.hasCopy);
    if (stage.manual && !started && !input.approvedStages.has(stage.name)) {
      return finish(
        'WaitingForApproval',
        `stage ${stage.name} (${list(names)}) waits for approval: kubectl canopy rollout approve <object> --stage ${stage.name}${previous ? ` (stage ${previous.stage.name} is done)` : ''}`,
        [`approval of stage ${stage.name}`],
        { stage: stage.name },
      );
    }
    for (const c of stage.clusters) if (c.reachable) release.add(c.name);
    const busy = stage.clusters.filter((c) => !done(c)).map((c) => c.name);
    return finish('Progressing', `stage ${stage.name}: updating ${list(busy)}`, busy, { stage: stage.name });
  }
  return finish('Complete', `every stage is done; every cluster runs revision ${input.revision}`, []);
}
