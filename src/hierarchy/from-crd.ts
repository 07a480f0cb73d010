/**
 * The one place the hierarchy core meets the generated CRD types: if the
 * schema drifts away from the structural shapes in types.ts, this stops
 * compiling instead of the reconciler misreading a field at run time.
 */

import type { WorkspaceSpec } from '../crds/workspace.js';
import type { WorkspaceData } from './types.js';

/** spec.parent, with absent meaning a root (''). */
export function parentFromSpec(spec: WorkspaceSpec | undefined): string {
  return spec?.parent ?? '';
}

/** The parts of a Workspace spec the forest keeps. */
export function workspaceDataFromSpec(spec: WorkspaceSpec | undefined): WorkspaceData {
  const data: WorkspaceData = {};
  if (spec?.owners) data.owners = spec.owners;
  if (spec?.constraints) data.constraints = spec.constraints;
  if (spec?.propagate) data.propagate = spec.propagate;
  return data;
}
