import { CliError } from './errors.js';
import { render, type Column, type OutputFormat } from './format.js';
import type { WhatIfFlags } from './main.js';
import { scheduleInputs, workspaceOf } from './queries.js';
import { listScope } from './scope.js';
import { parseLabelAssignments } from './selector.js';
import { withSession, type GlobalOptions } from './session.js';
import { loadSnapshot } from './snapshot.js';
import { clusterList, describeChange, parsePricing, parseTaint, whatIf, type ClusterChange, type WhatIfRow } from './what-if.js';

const COLUMNS: readonly Column<WhatIfRow>[] = [
  { header: 'WORKSPACE', value: (r) => r.workspace ?? '' },
  { header: 'NAMESPACE', value: (r) => r.namespace },
  { header: 'KIND', value: (r) => r.kind },
  { header: 'NAME', value: (r) => r.name },
  { header: 'NOW', value: (r) => clusterList(r.before) },
  { header: 'AFTER', value: (r) => clusterList(r.after) },
  { header: 'RESULT', value: (r) => r.outcome },
  { header: 'WHY', value: (r) => r.message, wide: true },
];

/** The changes the flags describe; bad or missing input is refused before anything is read. */
export function changesFromFlags(flags: Omit<WhatIfFlags, 'output' | 'allNamespaces'>): ClusterChange[] {
  const changes: ClusterChange[] = [];
  const onCluster = [...(flags.setLabel ?? []), ...(flags.removeLabel ?? []), ...(flags.taint ?? []), ...(flags.price ? [flags.price] : [])];
  if (onCluster.length > 0 && !flags.cluster) throw new CliError('--set-label, --remove-label, --taint and --price need --cluster');
  if (flags.cluster && onCluster.length === 0) throw new CliError('--cluster needs a change: --set-label, --remove-label, --taint or --price');
  const cluster = flags.cluster ?? '';
  for (const text of flags.setLabel ?? [])
    for (const [key, value] of Object.entries(parseLabelAssignments(text, '--set-label'))) changes.push({ kind: 'set-label', cluster, key, value });
  for (const key of flags.removeLabel ?? []) {
    if (!/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/.test(key)) throw new CliError(`--remove-label: "${key}" is not a label key`);
    changes.push({ kind: 'remove-label', cluster, key });
  }
  for (const text of flags.taint ?? []) changes.push({ kind: 'taint', cluster, taint: parseTaint(text) });
  if (flags.price) changes.push({ kind: 'price', cluster, pricing: parsePricing(flags.price) });
  for (const name of flags.loseCluster ?? []) changes.push({ kind: 'lose', cluster: name });
  if (changes.length === 0) throw new CliError('what-if needs a change: --cluster X with --set-label, --remove-label, --taint or --price, or --lose-cluster X');
  return changes;
}

/** `what-if`: the objects whose placement the changes would alter. */
export async function runWhatIf(options: GlobalOptions, flags: WhatIfFlags): Promise<{ text: string; note?: string }> {
  const changes = changesFromFlags(flags);
  return withSession(options, async (session) => {
    const namespace = listScope(session, flags.allNamespaces);
    const snapshot = await loadSnapshot(session.client, { namespace });
    const { inputs, externallyDecided } = scheduleInputs(snapshot);
    for (const change of changes)
      if (!snapshot.clusters.some((c) => c.metadata.name === change.cluster)) throw new CliError(`cluster ${change.cluster} not found`);
    const rows = whatIf(inputs, changes, (ns) => workspaceOf(snapshot, ns));
    const format = flags.output as OutputFormat;
    const notes = [
      rows.length === 0 ? `no object${namespace ? ` in ${namespace} namespace` : ''} would change if ${changes.map(describeChange).join(' and ')}` : '',
      externallyDecided.length ? `not evaluated (their policy asks an external policy engine): ${externallyDecided.join(', ')}` : '',
    ].filter(Boolean);
    const data = { changes: changes.map(describeChange), objects: rows, ...(externallyDecided.length ? { notEvaluated: externallyDecided } : {}) };
    const text = rows.length === 0 && (format === 'table' || format === 'wide') ? '' : render(format, COLUMNS, rows, data);
    return notes.length ? { text, note: notes.join('\n') } : { text };
  });
}
