/**
 * What a validator sees of an admission request: the objects, the operation
 * and who asks. Decoupled from the AdmissionReview wire format so validators
 * stay pure and unit-testable.
 */

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** The authenticated requester (AdmissionRequest.userInfo) plus what the dispatcher resolved about it. */
export interface Requester {
  readonly username: string;
  readonly groups: readonly string[];
  /** userInfo.uid and userInfo.extra: passed on unchanged when Canopy asks the authorizer about this requester. */
  readonly uid?: string;
  readonly extra?: Readonly<Record<string, readonly string[]>>;
  /**
   * A cluster administrator: passes ownership checks (never the consistency
   * rules). Resolved by the dispatcher only for kinds with ownership rules.
   */
  readonly admin: boolean;
}

export interface AdmissionInput<T> {
  readonly operation: Operation;
  /** The new object (CREATE, UPDATE); undefined for DELETE. */
  readonly object: T | undefined;
  /** The existing object (UPDATE, DELETE); undefined for CREATE. */
  readonly oldObject: T | undefined;
  readonly requester: Requester;
  /** Namespace of the request (namespaced kinds). */
  readonly namespace?: string;
  readonly dryRun?: boolean;
}
