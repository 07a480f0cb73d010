/**
 * Initializers are inherited down the tree like constraints, but they add up
 * instead of narrowing: a logical cluster must pass every initializer its
 * workspace or any workspace above it lists. The fold is root-first, so the
 * list reads in tree order and each name appears once, credited to the
 * highest workspace that lists it.
 */

export interface InitializerLevel {
  readonly workspace: string;
  readonly initializers?: readonly string[] | undefined;
}

export interface EffectiveInitializers {
  /** Union over the chain, root-first, each name once. */
  readonly names: readonly string[];
  /** Name → the workspace (highest in the tree) that lists it. */
  readonly origins: Readonly<Record<string, string>>;
}

export const NO_INITIALIZERS: EffectiveInitializers = Object.freeze({ names: Object.freeze([]) as readonly string[], origins: Object.freeze({}) });

/** `chain` runs from the root down to the workspace the logical cluster is created in. */
export function effectiveInitializers(chain: readonly InitializerLevel[]): EffectiveInitializers {
  let effective = NO_INITIALIZERS;
  for (const level of chain) effective = addInitializers(effective, level);
  return effective;
}

/** One step down the tree. Returns `parent` itself when the level adds nothing new. */
export function addInitializers(parent: EffectiveInitializers, level: InitializerLevel): EffectiveInitializers {
  const fresh = (level.initializers ?? []).filter((n, i, all) => !(n in parent.origins) && all.indexOf(n) === i);
  if (fresh.length === 0) return parent;
  const origins: Record<string, string> = { ...parent.origins };
  for (const n of fresh) origins[n] = level.workspace;
  return { names: [...parent.names, ...fresh], origins };
}
