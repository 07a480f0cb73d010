import type { Session } from './session.js';

/**
 * The namespace a listing command looks in, undefined for all, as kubectl
 * decides it: -A for every namespace, else -n, else the context's namespace.
 * A --workspace filter spans that workspace's namespaces, so it lists all
 * unless -n narrows it.
 */
export function listScope(session: Pick<Session, 'namespace' | 'namespaceGiven'>, allNamespaces: boolean | undefined, workspace?: string): string | undefined {
  if (allNamespaces) return undefined;
  if (workspace && !session.namespaceGiven) return undefined;
  return session.namespace;
}

/** kubectl's words for an empty answer. */
export function nothingFound(namespace: string | undefined, what: string): string {
  return namespace ? `No ${what} found in ${namespace} namespace.` : `No ${what} found.`;
}
