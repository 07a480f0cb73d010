import { findPropagatedObject, renderExplain } from './explain.js';
import type { Snapshot } from './snapshot.js';

export function explainCommand(snapshot: Snapshot, namespace: string, name: string, kind?: string): string {
  const po = findPropagatedObject(snapshot, namespace, name, kind);
  if (!po) return `nothing placed as ${namespace}/${name}: no PropagatedObject of that name, and no policy selects a plain object of that name\n`;
  return renderExplain(po);
}
