import type { ApiClient } from '../runtime/http.js';
import { Resources } from '../runtime/resources.js';
import { isGenerated } from '../reconcilers/propagation/generate.js';
import { CliError } from './errors.js';
import { findExplainTarget, notPlacedMessage } from './explain-command.js';
import type { PO } from './explain.js';
import { renderData } from './format.js';
import { approvePatch, pausePatch, previousRevision, rolloutLines, rolloutOf, undoSourcePatch, undoTemplatePatch } from './rollout.js';
import { withSession, type GlobalOptions } from './session.js';
import { loadSnapshot } from './snapshot.js';

export const ROLLOUT_ACTIONS = ['status', 'pause', 'resume', 'undo', 'approve'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export interface RolloutFlags {
  readonly stage?: string;
  readonly kind?: string;
  readonly output?: string;
}

/**
 * One `rollout` action on the object `target` names in `namespace` (as
 * explain resolves it: the plain object's name, KIND/NAME, or the
 * PropagatedObject's), made with `client`'s credentials.
 */
export async function rolloutAction(client: ApiClient, namespace: string, action: RolloutAction, target: string, flags: RolloutFlags = {}): Promise<string> {
  const snapshot = await loadSnapshot(client, { namespace, parts: ['objects'] });
  const po = findExplainTarget(snapshot, namespace, target, flags.kind) ?? bySource(snapshot.objects, namespace, target, flags.kind);
  if (!po) throw new CliError(notPlacedMessage(namespace, target));
  const name = po.metadata.name ?? '';
  const patchPo = (patch: Record<string, unknown>) => client.patch(Resources.PropagatedObject, name, namespace, patch, 'merge');
  switch (action) {
    case 'status': {
      if (flags.output === 'json' || flags.output === 'yaml')
        return renderData(flags.output, { propagatedObject: name, rollout: rolloutOf(po) ?? null, clusters: po.status?.clusters ?? [] });
      const lines = rolloutLines(po);
      return `${lines.length > 0 ? lines.join('\n') : `${namespace}/${name}: no Rolling or Staged rollout (strategy All: every cluster gets a change at once)`}\n`;
    }
    case 'pause':
    case 'resume':
      await patchPo(pausePatch(action === 'pause'));
      return `${namespace}/${name}: rollout ${action === 'pause' ? 'paused' : 'resumed'}\n`;
    case 'approve': {
      if (!flags.stage) throw new CliError('approve needs --stage <name>');
      await patchPo(approvePatch(po, flags.stage));
      return `${namespace}/${name}: stage ${flags.stage} approved for revision ${rolloutOf(po)?.revision}\n`;
    }
    case 'undo':
      return undo(client, po, namespace);
  }
}

/** The PropagatedObject a policy generated for the plain object `target` (NAME or KIND/NAME) names. */
function bySource(objects: readonly PO[], namespace: string, target: string, kind?: string): PO | undefined {
  const slash = target.indexOf('/');
  const name = slash > 0 ? target.slice(slash + 1) : target;
  const typed = (slash > 0 ? target.slice(0, slash) : kind)?.toLowerCase().split('.')[0];
  return objects.find((o) => {
    const ref = o.spec.sourceRef;
    if (o.metadata.namespace !== namespace || ref?.name !== name) return false;
    const k = ref.kind.toLowerCase();
    return !typed || typed === k || typed === `${k}s` || typed === `${k}es`;
  });
}

/** Writes the previous revision back where it came from: the PropagatedObject's template, or the plain object a policy selected. */
async function undo(client: ApiClient, po: PO, namespace: string): Promise<string> {
  const entry = previousRevision(po);
  // A PropagatedObject a policy generated follows its plain object (its owner): the change goes there, or the generator would undo the undo.
  const owner = isGenerated(po) ? po.metadata.ownerReferences?.[0] : undefined;
  const ref = po.spec.sourceRef ?? (owner ? { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name } : undefined);
  if (ref) {
    const resource = await client.resourceFor(ref.apiVersion, ref.kind);
    await client.patch(resource, ref.name, namespace, undoSourcePatch(entry), 'json');
    return `${namespace}/${ref.name}: ${ref.kind} spec set back to revision ${entry.revision}; it rolls out like any change\n`;
  }
  await client.patch(Resources.PropagatedObject, po.metadata.name ?? '', namespace, undoTemplatePatch(po, entry), 'json');
  return `${namespace}/${po.metadata.name}: template set back to revision ${entry.revision}; it rolls out like any change\n`;
}

/** `kubectl canopy rollout <action> <object>`. */
export async function runRollout(options: GlobalOptions, action: string, target: string, flags: RolloutFlags): Promise<string> {
  if (!(ROLLOUT_ACTIONS as readonly string[]).includes(action)) throw new CliError(`unknown rollout action ${action}: one of ${ROLLOUT_ACTIONS.join(', ')}`);
  return withSession(options, (session) => rolloutAction(session.client, session.namespace, action as RolloutAction, target, flags));
}
