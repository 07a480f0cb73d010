/**
 * Ownership: who may administer which part of the workspace tree.
 *
 * A subject listed in `spec.owners` of a Workspace administers that workspace
 * and its whole subtree (docs/concepts.md), so a requester has authority over a
 * workspace when it matches an owner of the workspace or of any ancestor.
 */
import type { Requester } from './request.js';

/** An RBAC subject from `spec.owners[]`. */
export interface OwnerSubject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** Whether a requester is the subject: by username, group membership or ServiceAccount identity. */
export function subjectMatches(subject: OwnerSubject, requester: Pick<Requester, 'username' | 'groups'>): boolean {
  switch (subject.kind) {
    case 'User':
      return requester.username === subject.name;
    case 'Group':
      return requester.groups.includes(subject.name);
    case 'ServiceAccount':
      return requester.username === `${SERVICE_ACCOUNT_PREFIX}${subject.namespace ?? ''}:${subject.name}`;
    default:
      return false; // unknown kinds grant nothing
  }
}

/** A workspace on the path from the root, with its owners. */
export interface OwnedNode {
  readonly name: string;
  readonly owners?: readonly OwnerSubject[];
}

/**
 * The workspace (from `chain`, ordered from the workspace itself up to the
 * root) whose owners include the requester, or undefined. Admins are not
 * special-cased here; callers check `requester.admin` first.
 */
export function owningAncestor(chain: readonly OwnedNode[], requester: Pick<Requester, 'username' | 'groups'>): string | undefined {
  for (const node of chain) {
    if ((node.owners ?? []).some((owner) => subjectMatches(owner, requester))) return node.name;
  }
  return undefined;
}

/** `user "alice"` / `service account "ns/sa"`, for messages. */
export function describeRequester(requester: Pick<Requester, 'username'>): string {
  if (requester.username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const [namespace, name] = requester.username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
    return `service account "${namespace}/${name}"`;
  }
  return `user "${requester.username}"`;
}

/**
 * Whether the requester administers `workspace`: a cluster admin, or an owner
 * of the workspace or of any workspace above it. A missing workspace grants
 * nothing but admins (the caller reports the missing workspace itself).
 */
export function hasAuthority(chainFromWorkspace: readonly OwnedNode[], requester: Requester): boolean {
  return requester.admin || owningAncestor(chainFromWorkspace, requester) !== undefined;
}
