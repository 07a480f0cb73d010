import { CliError } from './errors.js';
import { render, type Column, type OutputFormat } from './format.js';
import type { WhoRunsWhereFlags } from './main.js';
import { whoRunsWhere } from './queries.js';
import { listScope, nothingFound } from './scope.js';
import { parseClusterSelector } from './selector.js';
import { withSession, type GlobalOptions } from './session.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';
import { clusterList } from './what-if.js';
import { runWhatIf } from './what-if-command.js';
import type { ObjectOnClusters } from '../reconcilers/placement/visibility.js';

const COLUMNS: readonly Column<ObjectOnClusters>[] = [
  { header: 'WORKSPACE', value: (r) => r.workspace ?? '' },
  { header: 'NAMESPACE', value: (r) => r.object.namespace ?? '' },
  { header: 'KIND', value: (r) => r.object.kind },
  { header: 'NAME', value: (r) => r.object.name },
  { header: 'CLUSTERS', value: (r) => clusterList(r.clusters) },
  { header: 'APIVERSION', value: (r) => r.object.apiVersion, wide: true },
];

/** `who-runs-where`: objects on the matching clusters; `--if-cluster X --loses-label L` is what-if's label removal. */
export async function runWhoRunsWhere(options: GlobalOptions, flags: WhoRunsWhereFlags): Promise<{ text: string; note?: string }> {
  if (flags.ifCluster || flags.losesLabel) {
    if (!flags.ifCluster || !flags.losesLabel) throw new CliError('--if-cluster and --loses-label go together');
    return runWhatIf(options, {
      cluster: flags.ifCluster,
      removeLabel: [flags.losesLabel],
      ...(flags.allNamespaces ? { allNamespaces: true } : {}),
      output: flags.output,
    });
  }
  const labelSelector = flags.selector ? parseClusterSelector(flags.selector) : undefined;
  const split = (v: string | undefined) =>
    v
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  return withSession(options, async (session) => {
    const namespace = listScope(session, flags.allNamespaces, flags.workspace);
    const regions = split(flags.region);
    const providers = split(flags.provider);
    const query = { ...(labelSelector ? { labelSelector } : {}), ...(regions ? { regions } : {}), ...(providers ? { providers } : {}) };
    const asksAboutClusters = Object.keys(query).length > 0;
    // A tenant may read its PropagatedObjects but not Clusters or Namespaces: without a cluster
    // query the placements alone answer, so those lists are optional then.
    const snapshot = await loadSnapshot(session.client, {
      namespace,
      parts: ['objects', 'clusters', 'namespaces'],
      optional: asksAboutClusters ? ['namespaces'] : ['clusters', 'namespaces'],
    });
    const readable = snapshot.unreadable.includes('clusters') ? { ...snapshot, clusters: placedClusters(snapshot) } : snapshot;
    const rows = whoRunsWhere(readable, query, flags.workspace);
    const format = flags.output as OutputFormat;
    const note = unreadableNote(snapshot.unreadable);
    if (rows.length === 0 && (format === 'table' || format === 'wide'))
      return { text: '', note: [note, nothingFound(namespace, 'objects on matching clusters')].filter(Boolean).join('\n') };
    return { text: render(format, COLUMNS, rows), ...(note ? { note } : {}) };
  });
}

/** Clusters known only by the names placements mention: enough to list where objects run without reading Clusters. */
function placedClusters(snapshot: Snapshot): Snapshot['clusters'] {
  const names = new Set(snapshot.objects.flatMap((o) => (o.status?.placement ?? []).map((p) => p.cluster)));
  return [...names].map((name) => ({ metadata: { name } }) as Snapshot['clusters'][number]);
}

/** One line for a kubeconfig (a tenant's) that may not list Clusters or Namespaces. */
export function unreadableNote(unreadable: readonly string[]): string | undefined {
  if (unreadable.length === 0) return undefined;
  const workspaces = unreadable.includes('namespaces') ? ' (without workspaces)' : '';
  return `note: this kubeconfig may not list ${unreadable.join(' or ')}, so this comes from the PropagatedObjects' own status${workspaces}`;
}
