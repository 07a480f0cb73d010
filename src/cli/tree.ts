import type { Snapshot } from './snapshot.js';

/**
 * The workspace tree as `kubectl-canopy tree` prints it: one line per
 * workspace (Ready state, logical clusters), its logical clusters beneath it;
 * workspaces in a cycle or under a missing parent are listed apart so they
 * are never silently hidden. `wide` adds each logical cluster's namespaces.
 */
export function renderTree(snapshot: Snapshot, root?: string, wide = false): string {
  const byName = new Map(snapshot.workspaces.map((w) => [w.metadata.name!, w]));
  const children = new Map<string, string[]>();
  for (const w of snapshot.workspaces) {
    const parent = w.spec.parent ?? '';
    children.set(parent, [...(children.get(parent) ?? []), w.metadata.name!]);
  }
  for (const list of children.values()) list.sort();
  const lcsOf = new Map<string, string[]>();
  for (const lc of snapshot.logicalClusters) lcsOf.set(lc.spec.workspace, [...(lcsOf.get(lc.spec.workspace) ?? []), lc.metadata.name!].sort());
  const lcByName = new Map(snapshot.logicalClusters.map((lc) => [lc.metadata.name!, lc]));

  const lines: string[] = [];
  const printed = new Set<string>();
  const walk = (name: string, prefix: string, last: boolean, top: boolean) => {
    const w = byName.get(name);
    if (!w || printed.has(name)) return;
    printed.add(name);
    const ready = w.status?.conditions?.find((c) => c.type === 'Ready');
    const state = ready ? (ready.status === 'True' ? '' : ` [${ready.reason}]`) : ' [not reconciled yet]';
    lines.push(`${prefix}${top ? '' : last ? '└── ' : '├── '}${name}${state}`);
    const next = prefix + (top ? '' : last ? '    ' : '│   ');
    const kids = [
      ...(children.get(name) ?? []).map((k) => ({ kind: 'ws' as const, name: k })),
      ...(lcsOf.get(name) ?? []).map((l) => ({ kind: 'lc' as const, name: l })),
    ];
    kids.forEach((kid, i) => {
      const isLast = i === kids.length - 1;
      if (kid.kind === 'ws') walk(kid.name, next, isLast, false);
      else {
        const lc = lcByName.get(kid.name);
        const where = lc?.status?.cluster ? ` on ${lc.status.cluster}` : '';
        const namespaces = wide && lc?.status?.namespaces?.length ? ` (namespaces ${lc.status.namespaces.join(', ')})` : '';
        lines.push(`${next}${isLast ? '└── ' : '├── '}(lc) ${kid.name} ${lc?.status?.phase ?? 'Pending'}${where}${namespaces}`);
      }
    });
  };
  if (root) {
    if (!byName.has(root)) return `workspace ${root} not found\n`;
    walk(root, '', true, true);
  } else {
    for (const top of children.get('') ?? []) walk(top, '', true, true);
    const orphans = snapshot.workspaces
      .map((w) => w.metadata.name!)
      .filter((n) => !printed.has(n))
      .sort();
    if (orphans.length > 0) {
      lines.push('', 'not reachable from a root (missing parent or cycle):');
      for (const name of orphans) {
        const w = byName.get(name)!;
        const why = w.status?.conditions?.find((c) => c.status === 'True' && (c.type === 'CycleDetected' || c.type === 'ParentMissing'));
        lines.push(`  ${name} → parent ${w.spec.parent}${why ? ` (${why.type}: ${why.message})` : ''}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
