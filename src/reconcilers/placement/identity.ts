/**
 * Small numbers standing for objects, for cache keys. `contentId` gives equal
 * numbers to objects with equal JSON content, so caches keep working when a
 * caller rebuilds an equal object (a WorkspaceContext per reconcile, say).
 */
const identities = new WeakMap<object, number>();
let nextIdentity = 1;

/** Same number for the same object, as long as it lives. */
export function identityId(o: object): number {
  let id = identities.get(o);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(o, id);
  }
  return id;
}

const byObject = new WeakMap<object, number>();
const byContent = new Map<string, number>();
const MAX_CONTENTS = 10_000;
let nextContent = 1;

/** Same number for objects with equal JSON content; 0 for undefined. */
export function contentId(o: object | undefined): number {
  if (o === undefined) return 0;
  let id = byObject.get(o);
  if (id === undefined) {
    const content = JSON.stringify(o);
    id = byContent.get(content);
    if (id === undefined) {
      // Ids keep increasing, so clearing only costs cache hits, never a wrong match.
      if (byContent.size >= MAX_CONTENTS) byContent.clear();
      id = nextContent++;
      byContent.set(content, id);
    }
    byObject.set(o, id);
  }
  return id;
}
