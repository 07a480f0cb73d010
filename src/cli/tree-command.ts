import { CliError } from './errors.js';
import { renderData } from './format.js';
import { withSession, type GlobalOptions } from './session.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';
import { renderTree } from './tree.js';

/** `tree [workspace]`: the drawing, or with -o json|yaml the same tree as data. */
export async function treeCommand(options: GlobalOptions, workspace: string | undefined, output: string): Promise<string> {
  const snapshot = await withSession(options, (s) => loadSnapshot(s.client, { parts: ['workspaces', 'logicalClusters'] }));
  if (workspace && !snapshot.workspaces.some((w) => w.metadata.name === workspace)) throw new CliError(`workspace ${workspace} not found`);
  if (output === 'json' || output === 'yaml') return renderData(output, treeData(snapshot, workspace));
  return renderTree(snapshot, workspace, output === 'wide');
}

export interface TreeNode {
  readonly name: string;
  readonly ready: string;
  readonly logicalClusters: readonly { readonly name: string; readonly phase: string; readonly cluster?: string }[];
  readonly children: readonly TreeNode[];
}

/** The tree as nested data; workspaces no root reaches are left out (the drawing lists them apart). */
export function treeData(snapshot: Snapshot, root?: string): TreeNode[] {
  const node = (name: string, seen: Set<string>): TreeNode => {
    seen.add(name);
    const w = snapshot.workspaces.find((x) => x.metadata.name === name);
    const ready = w?.status?.conditions?.find((c) => c.type === 'Ready');
    return {
      name,
      ready: ready ? (ready.status === 'True' ? 'True' : ready.reason) : 'Unknown',
      logicalClusters: snapshot.logicalClusters
        .filter((lc) => lc.spec.workspace === name)
        .map((lc) => ({ name: lc.metadata.name!, phase: lc.status?.phase ?? 'Pending', ...(lc.status?.cluster ? { cluster: lc.status.cluster } : {}) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      children: snapshot.workspaces
        .filter((c) => c.spec.parent === name && !seen.has(c.metadata.name!))
        .map((c) => c.metadata.name!)
        .sort()
        .map((c) => node(c, seen)),
    };
  };
  const seen = new Set<string>();
  const roots = root
    ? [root]
    : snapshot.workspaces
        .filter((w) => !w.spec.parent)
        .map((w) => w.metadata.name!)
        .sort();
  return roots.map((r) => node(r, seen));
}
