/**
 * The virtual `namespaces` resource of a logical cluster. Reading returns
 * exactly the logical cluster's namespaces (a label-selected list or watch
 * read with the gateway's own identity: the tenant holds no right on
 * namespace objects). Creating `<lc>-<suffix>` adds the suffix to
 * spec.namespaces and waits until the reconciler materialized it; deleting
 * removes it. The reconciler and its admission checks stay the only writers
 * of namespaces, so names, labels, quota and limits (maxNamespaces) apply as
 * for any edit of the LogicalCluster.
 *
 * Who may add or remove namespaces: whoever may create (or delete)
 * Deployments in the logical cluster's first namespace, asked with a
 * SubjectAccessReview for the caller; that is the developer and admin
 * presets, not viewer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABEL_LOGICAL_CLUSTER } from '../crds/labels.js';
import { isConflict, isInvalid, Resources, type ApiClient, type KubeObject, type Logger } from '../runtime/index.js';
import { checkNamespace, suffixFor } from './policy.js';
import { isKubernetesProtobuf, protobufObjectName } from './protobuf.js';
import { forward, readAll, type Admitted, type GatewayLogicalCluster } from './server.js';
import { GatewayError, forbidden, sendJson } from './status.js';
import { forwardHeaders } from './upstream.js';

export interface NamespaceDeps {
  /** The host client: the LogicalCluster lives there in both modes. */
  readonly host: ApiClient;
  readonly logger: Logger;
  /** Reads the logical cluster fresh (cache, then live). */
  logicalCluster(name: string): Promise<GatewayLogicalCluster | undefined>;
  /** How long a create waits for the namespace to be materialized; default 20 s. */
  readonly waitMs?: number;
}

export function namespacesHandler(deps: NamespaceDeps): (request: Admitted, req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (request, req, res) => {
    const route = request.route;
    if (route.kind !== 'namespaces') throw new Error('not a namespaces request');
    const asOperator = forwardHeaders(req.headers, undefined);
    switch (route.verb) {
      case 'list':
      case 'watch': {
        const query = new URLSearchParams(request.query);
        const own = `${LABEL_LOGICAL_CLUSTER}=${request.name}`;
        const selector = query.get('labelSelector');
        query.set('labelSelector', selector ? `${own},${selector}` : own);
        return forward(req, res, request.target.upstream, `/api/v1/namespaces?${query.toString()}`, asOperator, request.maxBodyBytes);
      }
      case 'get':
        checkNamespace(route.name!, request.namespaces);
        return forward(
          req,
          res,
          request.target.upstream,
          withQuery(`/api/v1/namespaces/${encodeURIComponent(route.name!)}`, request.rawQuery),
          asOperator,
          request.maxBodyBytes,
        );
      case 'create':
        return create(deps, request, req, res);
      case 'delete':
        return remove(deps, request, res);
      default:
        throw forbidden(
          `namespaces${route.name ? ` "${route.name}"` : ''} is forbidden: namespaces of logical cluster ${request.name} are created and deleted through the gateway; ${route.verb} is not served (their labels belong to the logical cluster)`,
        );
    }
  };
}

function withQuery(path: string, rawQuery: string): string {
  return rawQuery ? `${path}?${rawQuery}` : path;
}

async function authorize(request: Admitted, verb: 'create' | 'delete', namespace: string): Promise<void> {
  const { user } = request;
  const review = await request.target.client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: user.username,
        groups: [...user.groups],
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
        resourceAttributes: { namespace: request.firstNamespace, verb, group: 'apps', resource: 'deployments' },
      },
    },
  });
  if (review.status?.allowed !== true) {
    throw forbidden(
      `namespaces "${namespace}" is forbidden: User "${user.username}" cannot ${verb} namespaces in logical cluster ${request.name} ` +
        `(that takes the right to ${verb} deployments in namespace ${request.firstNamespace}: the developer or admin capability preset)`,
    );
  }
}

async function create(deps: NamespaceDeps, request: Admitted, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readAll(req, request.maxBodyBytes);
  let meta: { name?: string; generateName?: string } | undefined;
  try {
    // kubectl sends core kinds as protobuf; other clients send JSON.
    meta = isKubernetesProtobuf(body) ? protobufObjectName(body) : (JSON.parse(body.toString('utf8')) as KubeObject)?.metadata;
  } catch {
    throw new GatewayError(400, 'BadRequest', 'the request body is not a Namespace (JSON or Kubernetes protobuf)');
  }
  const name = meta?.name;
  if (!name)
    throw new GatewayError(
      422,
      'Invalid',
      `namespaces of logical cluster ${request.name} need metadata.name (${request.name}-<suffix>); generateName is not served`,
    );
  const suffix = suffixFor(request.name, name);
  if (request.namespaces.includes(name)) {
    throw new GatewayError(409, 'AlreadyExists', `namespaces "${name}" already exists`, { name, kind: 'namespaces' });
  }
  await authorize(request, 'create', name);
  const dryRun = new URLSearchParams(request.rawQuery).has('dryRun');
  const generation = await editSuffixes(
    deps,
    request,
    (suffixes) => {
      if (suffixes.length === 0) {
        throw new GatewayError(
          409,
          'Conflict',
          `logical cluster ${request.name} has its single default namespace (spec.namespaces is empty); list its namespaces in spec.namespaces to add more, since adding one here would rename the first`,
        );
      }
      return suffixes.includes(suffix) ? undefined : [...suffixes, suffix];
    },
    dryRun,
  );
  if (dryRun) return sendJson(res, 201, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: {}, status: { phase: 'Active' } });
  const deadline = Date.now() + (deps.waitMs ?? 20_000);
  while (Date.now() < deadline) {
    const lc = await deps.logicalCluster(request.name);
    if (lc?.status?.namespaces?.includes(name)) {
      const ns = await request.target.client.tryGet(Resources.Namespace, name);
      if (ns) return sendJson(res, 201, ns);
    }
    const stale = (lc?.status as { observedGeneration?: number } | undefined)?.observedGeneration;
    if (lc?.status?.phase === 'Failed' && generation !== undefined && stale !== undefined && stale >= generation) {
      // The reconciler refused the new shape (limits, quota, a name taken): undo, and say why.
      const message = conditionMessage(lc) ?? 'the logical cluster cannot take another namespace';
      await editSuffixes(deps, request, (suffixes) => (suffixes.includes(suffix) ? suffixes.filter((s) => s !== suffix) : undefined), false).catch(
        (err: Error) => deps.logger.warn({ err: err.message, logicalCluster: request.name }, 'could not undo a refused namespace'),
      );
      throw new GatewayError(422, 'Invalid', `namespaces "${name}" cannot be added to logical cluster ${request.name}: ${message}`, {
        name,
        kind: 'namespaces',
      });
    }
    await sleep(250);
  }
  throw new GatewayError(504, 'Timeout', `namespace "${name}" was added to logical cluster ${request.name} but is not ready yet; it will appear shortly`);
}

async function remove(deps: NamespaceDeps, request: Admitted, res: ServerResponse): Promise<void> {
  const route = request.route as { name?: string };
  const name = route.name!;
  checkNamespace(name, request.namespaces);
  if (name === request.firstNamespace) {
    throw forbidden(`namespaces "${name}" is forbidden: it is the first namespace of logical cluster ${request.name} and holds its identity and kubeconfig`);
  }
  await authorize(request, 'delete', name);
  const suffix = suffixFor(request.name, name);
  const dryRun = new URLSearchParams(request.rawQuery).has('dryRun');
  const ns = await request.target.client.tryGet(Resources.Namespace, name);
  await editSuffixes(deps, request, (suffixes) => (suffixes.includes(suffix) ? suffixes.filter((s) => s !== suffix) : undefined), dryRun);
  sendJson(res, 200, ns ?? { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Read-modify-write of spec.namespaces at the read resourceVersion (retried on conflict); returns the new generation. */
async function editSuffixes(
  deps: NamespaceDeps,
  request: Admitted,
  edit: (suffixes: readonly string[]) => string[] | undefined,
  dryRun: boolean,
): Promise<number | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const lc = await deps.host.get<GatewayLogicalCluster>(Resources.LogicalCluster, request.name);
    const next = edit(lc.spec?.namespaces ?? []);
    if (!next) return lc.metadata?.generation;
    try {
      const patched = await deps.host.request<GatewayLogicalCluster>('PATCH', `/apis/canopy.dev/v1alpha1/logicalclusters/${request.name}`, {
        body: { metadata: { resourceVersion: lc.metadata?.resourceVersion }, spec: { namespaces: next } },
        contentType: 'application/merge-patch+json',
        query: { fieldManager: 'canopy-gateway', ...(dryRun ? { dryRun: 'All' } : {}) },
      });
      return patched.metadata?.generation;
    } catch (err) {
      if (isConflict(err)) continue;
      if (isInvalid(err) || (err as { code?: number }).code === 403 || (err as { code?: number }).code === 400) {
        throw new GatewayError(
          422,
          'Invalid',
          `logical cluster ${request.name} cannot change its namespaces: ${(err as Error).message.replace(/^.*answered \d+ \w+: /, '')}`,
        );
      }
      throw err;
    }
  }
  throw new GatewayError(409, 'Conflict', `logical cluster ${request.name} kept changing; try again`);
}

function conditionMessage(lc: GatewayLogicalCluster): string | undefined {
  const conditions = (lc.status as { conditions?: Array<{ type?: string; status?: string; message?: string }> } | undefined)?.conditions ?? [];
  return conditions.find((c) => c.type === 'Ready' && c.status === 'False')?.message ?? conditions.find((c) => c.status === 'False' && c.message)?.message;
}
