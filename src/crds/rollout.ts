/**
 * `spec.rollout` of PlacementPolicy and PropagatedObject: how a change to a
 * placed object reaches its clusters (all at once, a few clusters at a time,
 * or in ordered stages with optional manual approval), and the
 * `status.rollout` the syncer reports. A rollout only orders the clusters
 * placement chose; it never adds one.
 */
import { Type, type Static } from '@sinclair/typebox';
import { LabelSelectorSchema } from './common.js';
import { AnyJson, DnsLabel, StringEnum, Timestamp, validations } from './schema.js';

export const ROLLOUT_STRATEGIES = ['All', 'Rolling', 'Staged'] as const;
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];
export const DEFAULT_ROLLOUT_STRATEGY: RolloutStrategy = 'All';
export const DEFAULT_MAX_UNAVAILABLE_CLUSTERS = 1;
export const DEFAULT_MAX_SURGE_CLUSTERS = 0;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/** A day: longer waits are a schedule, not a rollout. */
export const MAX_ROLLOUT_WAIT_SECONDS = 86_400;
export const MAX_ROLLOUT_STAGES = 16;
export const MAX_CLUSTERS_AT_ONCE = 1000;
export const APPROVALS = ['Manual'] as const;

/** Previous revisions kept for `undo`: at most this many entries and this many bytes of templates. */
export const ROLLOUT_HISTORY_LIMIT = 5;
export const ROLLOUT_HISTORY_MAX_BYTES = 256 * 1024;

export const ROLLOUT_PHASES = ['Progressing', 'Paused', 'WaitingForApproval', 'Waiting', 'Stopped', 'Complete'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** Annotations on a PropagatedObject that steer its rollout (`kubectl canopy rollout pause|resume|approve`). */
export const ANNOTATION_ROLLOUT_PAUSED = 'canopy.dev/rollout-paused';
/** `<stage>@<revision>` approves that stage for that revision only; a bare `<stage>` approves it in every rollout until removed. */
export const ANNOTATION_ROLLOUT_APPROVED_STAGE = 'canopy.dev/rollout-approved-stage';

export const RolloutStageSchema = Type.Object({
  name: DnsLabel({ description: 'Stage name, used by approvals and in status (e.g. canary, eu, us).' }),
  clusterSelector: Type.Optional(
    LabelSelectorSchema('Placed clusters in this stage (the first stage whose selector matches wins); empty matches every cluster not yet in a stage.'),
  ),
  waitSeconds: Type.Optional(
    Type.Integer({
      description: `Wait this long after the stage's clusters are Ready before the next stage starts (0 to ${MAX_ROLLOUT_WAIT_SECONDS}).`,
      format: 'int32',
      minimum: 0,
      maximum: MAX_ROLLOUT_WAIT_SECONDS,
    }),
  ),
  approval: Type.Optional(
    StringEnum(APPROVALS, {
      description: 'Manual: the stage starts only once approved (annotation canopy.dev/rollout-approved-stage or kubectl canopy rollout approve).',
    }),
  ),
});
export type RolloutStage = Static<typeof RolloutStageSchema>;

export const RolloutSchema = Type.Object(
  {
    strategy: Type.Optional(
      StringEnum(ROLLOUT_STRATEGIES, {
        description: 'All: every cluster at once (the default). Rolling: a few clusters at a time. Staged: ordered stages of clusters.',
      }),
    ),
    maxUnavailableClusters: Type.Optional(
      Type.Integer({
        description: `Rolling: clusters that may run a not-yet-Ready new revision at once (default ${DEFAULT_MAX_UNAVAILABLE_CLUSTERS}).`,
        format: 'int32',
        minimum: 0,
        maximum: MAX_CLUSTERS_AT_ONCE,
      }),
    ),
    maxSurgeClusters: Type.Optional(
      Type.Integer({
        description: `Rolling: additional clusters that may be updating at once on top of maxUnavailableClusters (default ${DEFAULT_MAX_SURGE_CLUSTERS}).`,
        format: 'int32',
        minimum: 0,
        maximum: MAX_CLUSTERS_AT_ONCE,
      }),
    ),
    minReadySeconds: Type.Optional(
      Type.Integer({
        description: `A cluster counts as done once its copy has been Ready for the new revision this long (0 to ${MAX_ROLLOUT_WAIT_SECONDS}).`,
        format: 'int32',
        minimum: 0,
        maximum: MAX_ROLLOUT_WAIT_SECONDS,
      }),
    ),
    progressDeadlineSeconds: Type.Optional(
      Type.Integer({
        description: `A cluster whose copy is not Ready this long after it received the new revision stops the rollout (default ${DEFAULT_PROGRESS_DEADLINE_SECONDS}).`,
        format: 'int32',
        minimum: 1,
        maximum: MAX_ROLLOUT_WAIT_SECONDS,
      }),
    ),
    stages: Type.Optional(
      Type.Array(RolloutStageSchema, {
        description: 'Staged: the stages in order; placed clusters no stage selects form a last stage named "remaining".',
        minItems: 1,
        maxItems: MAX_ROLLOUT_STAGES,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
  },
  {
    description: 'How a change reaches the chosen clusters. A rollout only orders the clusters placement chose; it never adds one.',
    ...validations(
      { rule: "!has(self.stages) || (has(self.strategy) && self.strategy == 'Staged')", message: 'stages are only used by strategy Staged' },
      { rule: "!has(self.strategy) || self.strategy != 'Staged' || has(self.stages)", message: 'strategy Staged needs stages' },
      {
        rule: "!has(self.strategy) || self.strategy != 'Rolling' || (has(self.maxUnavailableClusters) ? self.maxUnavailableClusters : 1) + (has(self.maxSurgeClusters) ? self.maxSurgeClusters : 0) > 0",
        message: 'maxUnavailableClusters and maxSurgeClusters cannot both be 0: nothing could ever be updated',
      },
    ),
  },
);
export type Rollout = Static<typeof RolloutSchema>;

export const RolloutHistoryEntrySchema = Type.Object({
  revision: Type.String({ description: 'Hash of the template and overrides.', maxLength: 64 }),
  generation: Type.Optional(Type.Integer({ description: 'The PropagatedObject generation when this revision was first seen.', format: 'int64', minimum: 0 })),
  recordedAt: Type.Optional(Timestamp({ description: 'When this revision was first seen.' })),
  template: AnyJson({ description: 'The resolved template of this revision.' }),
  overrides: Type.Optional(AnyJson({ description: 'The overrides of this revision.' })),
});
export type RolloutHistoryEntry = Static<typeof RolloutHistoryEntrySchema>;

export const RolloutStatusSchema = Type.Object(
  {
    strategy: Type.Optional(StringEnum(ROLLOUT_STRATEGIES, { description: 'The strategy in effect.' })),
    revision: Type.Optional(Type.String({ description: 'The revision being rolled out (hash of template and overrides).', maxLength: 64 })),
    generation: Type.Optional(Type.Integer({ description: 'The PropagatedObject generation being rolled out.', format: 'int64', minimum: 0 })),
    phase: Type.Optional(StringEnum(ROLLOUT_PHASES, { description: 'Progressing, Paused, WaitingForApproval, Waiting, Stopped or Complete.' })),
    stage: Type.Optional(Type.String({ description: 'Staged: the stage in progress.', maxLength: 63 })),
    waitingFor: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { description: 'Clusters (or an approval) the rollout waits for.', maxItems: 256 })),
    message: Type.Optional(Type.String({ description: 'Where the rollout stands, in words.', maxLength: 4096 })),
    stoppedCluster: Type.Optional(Type.String({ description: 'Stopped: the cluster that stopped it.', maxLength: 253 })),
    history: Type.Optional(
      Type.Array(RolloutHistoryEntrySchema, {
        description: `Recent revisions, newest last, for undo (at most ${ROLLOUT_HISTORY_LIMIT} and ${ROLLOUT_HISTORY_MAX_BYTES / 1024} KiB of templates).`,
        maxItems: ROLLOUT_HISTORY_LIMIT,
      }),
    ),
  },
  { description: 'The rollout of the current revision (only with strategy Rolling or Staged).' },
);
export type RolloutStatus = Static<typeof RolloutStatusSchema>;
