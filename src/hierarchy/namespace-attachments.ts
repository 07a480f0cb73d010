/**
 * Which workspace each non-home namespace (a LogicalCluster's) belongs to.
 * Kept apart from the forest's parent links because attachments outlive and
 * predate their workspace: informers deliver namespaces and workspaces in any
 * order, and a deleted workspace's namespaces linger until their finalizers run.
 */

export interface Attachment {
  workspace: string;
  logicalCluster?: string;
}

export class NamespaceAttachments {
  private readonly byNamespace = new Map<string, Attachment>();
  private readonly byWorkspace = new Map<string, Set<string>>();

  get(ns: string): Attachment | undefined {
    return this.byNamespace.get(ns);
  }

  /** Returns the previous attachment, if the namespace moves. */
  attach(ns: string, workspace: string, logicalCluster?: string): Attachment | undefined {
    const previous = this.detach(ns);
    this.byNamespace.set(ns, logicalCluster === undefined ? { workspace } : { workspace, logicalCluster });
    let set = this.byWorkspace.get(workspace);
    if (!set) this.byWorkspace.set(workspace, (set = new Set()));
    set.add(ns);
    return previous;
  }

  detach(ns: string): Attachment | undefined {
    const previous = this.byNamespace.get(ns);
    if (!previous) return undefined;
    this.byNamespace.delete(ns);
    const set = this.byWorkspace.get(previous.workspace)!;
    set.delete(ns);
    if (set.size === 0) this.byWorkspace.delete(previous.workspace);
    return previous;
  }

  namespacesOf(workspace: string): ReadonlySet<string> {
    return this.byWorkspace.get(workspace) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
