/**
 * Propagation: the PropagatedObject syncer, its companions and the generator
 * for plain objects. `register` wires it into the operator; the pure parts
 * other features reuse are exported too.
 */
import type { Manager } from '../../runtime/index.js';
import { registerPropagation } from './register.js';

export { registerPropagation, type PropagationOptions } from './register.js';
export { podTemplateDependencies, type DependencyRef } from './references.js';
export { renderMemberObject, overrideApplies } from './render.js';
export { generatedName, LABEL_PROPAGATED_OBJECT, ANNOTATION_HANDOVER_TIMEOUT } from './names.js';
export { SYNCER_FIELD_MANAGER } from './host.js';

/** The operator's registration of this feature (default options, but for the operator-wide finalizer timeout). */
export function register(manager: Manager, settings: { readonly finalizerTimeoutMs?: number } = {}): void {
  registerPropagation(manager, settings.finalizerTimeoutMs !== undefined ? { finalizerTimeoutMs: settings.finalizerTimeoutMs } : {});
}
