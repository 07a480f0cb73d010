import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1APIGroupList, V1APIResourceList } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { CapabilityPreset } from '../../hierarchy/logical-cluster.js';
import { resolveCapabilities } from '../../reconcilers/logicalcluster/capabilities.js';
import {
  type APIGroupDiscoveryList,
  type ApiSurface,
  CLUSTER_SCOPED_KINDS,
  filterAggregatedDiscovery,
  filterApiGroup,
  filterApiGroupList,
  filterApiResourceList,
  filterCoreApiResourceList,
  filterOpenApiV2,
  filterOpenApiV3Document,
  filterOpenApiV3Index,
  filterRootPaths,
  forwardableDiscoveryAccept,
  groupVersionResourcesFromAggregated,
  groupVersionResourcesFromLists,
  groupVersionShown,
  isAggregatedDiscovery,
  mergeRulesReviews,
  type OpenApiDocument,
  type OpenApiV3Index,
  openApiPathTarget,
  openApiV3PathAllowed,
  type ResourceRule,
  surfaceFromRules,
} from './index.js';
import { filterOpenApiV2Protobuf, openApiV2ProtobufNames } from './openapi-protobuf.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as T;
}

const coreV1 = fixture<V1APIResourceList>('api-v1.json');
const groupList = fixture<V1APIGroupList>('apis.json');
const appsV1 = fixture<V1APIResourceList>('apis-apps-v1.json');
const canopyV1alpha1 = fixture<V1APIResourceList>('apis-canopy.dev-v1alpha1.json');
const groupLists = fixture<Record<string, V1APIResourceList>>('apis-resource-lists.json');
const aggregatedApi = fixture<APIGroupDiscoveryList>('aggregated-api.json');
const aggregatedApis = fixture<APIGroupDiscoveryList>('aggregated-apis.json');
const openApiV3 = fixture<OpenApiV3Index>('openapi-v3.json');
const openApiV3Apps = fixture<OpenApiDocument>('openapi-v3-apis-apps-v1.trimmed.json');
const openApiV2 = fixture<OpenApiDocument>('openapi-v2.trimmed.json');
const gvr = groupVersionResourcesFromAggregated(aggregatedApi, aggregatedApis);

/** What every authenticated user holds (system:basic-user): a rules review in any namespace returns it beside the tenant Role. */
const BASIC_USER: readonly ResourceRule[] = [
  { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
  { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
];

function surfaceOf(preset: CapabilityPreset, extra: readonly ResourceRule[] = []): ApiSurface {
  const { rules } = resolveCapabilities({ preset });
  return surfaceFromRules([...rules, ...BASIC_USER, ...extra], CLUSTER_SCOPED_KINDS);
}

const viewer = surfaceOf('viewer');
const developer = surfaceOf('developer');
const admin = surfaceOf('admin');

function names(list: V1APIResourceList): string[] {
  return list.resources.map((r) => r.name).sort();
}

function verbsOf(list: V1APIResourceList, name: string): string[] | undefined {
  return list.resources
    .find((r) => r.name === name)
    ?.verbs.slice()
    .sort();
}

/** group/version/resource → sorted verbs, from legacy lists. */
function legacyView(surface: ApiSurface): Map<string, string> {
  const out = new Map<string, string>();
  const add = (group: string, list: V1APIResourceList) => {
    for (const r of filterApiResourceList(group, list, surface).resources) out.set(`${list.groupVersion}/${r.name}`, [...r.verbs].sort().join(','));
  };
  add('', coreV1);
  for (const list of Object.values(groupLists)) add(list.groupVersion.split('/')[0]!, list);
  return out;
}

/** The same view from aggregated discovery. */
function aggregatedView(surface: ApiSurface): Map<string, string> {
  const out = new Map<string, string>();
  for (const doc of [filterAggregatedDiscovery(aggregatedApi, surface), filterAggregatedDiscovery(aggregatedApis, surface)]) {
    for (const item of doc.items ?? []) {
      const group = item.metadata?.name ?? '';
      for (const v of item.versions ?? []) {
        const gv = group ? `${group}/${v.version}` : v.version;
        for (const r of v.resources ?? []) {
          out.set(`${gv}/${r.resource}`, [...(r.verbs ?? [])].sort().join(','));
          for (const s of r.subresources ?? []) out.set(`${gv}/${r.resource}/${s.subresource}`, [...(s.verbs ?? [])].sort().join(','));
        }
      }
    }
  }
  return out;
}

/** None of `hidden` is in `list` (chai's not.include.members passes when only one is missing). */
function expectNone(list: readonly (string | undefined)[], hidden: readonly string[]): void {
  expect(list.filter((x) => x !== undefined && hidden.includes(x))).to.deep.equal([]);
}

/** Every `$ref` of a document resolves inside it. */
function danglingRefs(doc: unknown, root: unknown): string[] {
  const refs = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') refs.add(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  return [...refs].filter((ref) => {
    let node: unknown = root;
    for (const part of ref.replace(/^#\//, '').split('/')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    return node === undefined;
  });
}

describe('gateway discovery: the API surface of a logical cluster', () => {
  it('follows RBAC matching: wildcards, */subresource, resourceNames, and never the rules of other cluster-scoped kinds', () => {
    const surface = surfaceFromRules(
      [
        { apiGroups: ['example.com'], resources: ['*'], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['*/scale'], verbs: ['update'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] },
        { apiGroups: [''], resources: ['nodes', 'persistentvolumes'], verbs: ['*'] },
        { apiGroups: ['*'], resources: ['leases'], verbs: ['*'] },
      ],
      CLUSTER_SCOPED_KINDS,
    );
    expect(surface.allows('example.com', 'widgets', 'Namespaced')).to.equal(true);
    expect(surface.allows('example.com', 'widgets/status', 'Namespaced')).to.equal(true);
    expect(surface.allows('apps', 'deployments/scale', 'Namespaced')).to.equal(true);
    expect(surface.allows('apps', 'deployments', 'Namespaced')).to.equal(false);
    expect(surface.allows('', 'configmaps', 'Namespaced')).to.equal(true);
    expect(surface.allows('', 'secrets', 'Namespaced')).to.equal(false);
    expect(surface.verbs('coordination.k8s.io', 'leases', 'Namespaced', ['get', 'create'])).to.deep.equal(['get', 'create']);
    // A cluster-wide grant on a cluster-scoped kind the gateway does not serve is narrowed away.
    expect(surface.allows('', 'nodes', 'Cluster')).to.equal(false);
    expect(surface.allows('', 'persistentvolumes')).to.equal(true); // scope unknown: judged by the rules, the caller must pass the scope
    expect(surface.allows('', 'persistentvolumes', 'Cluster')).to.equal(false);
    // Served by the gateway whatever the rules say; CRDs only when the rules grant them.
    expect(surface.verbs('', 'namespaces', 'Cluster', ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'])).to.deep.equal([
      'create',
      'delete',
      'get',
      'list',
      'watch',
    ]);
    expect(surface.allows('storage.k8s.io', 'storageclasses', 'Cluster')).to.equal(true);
    expect(surface.allows('', 'namespaces/status', 'Cluster')).to.equal(false);
    expect(surface.allows('apiextensions.k8s.io', 'customresourcedefinitions', 'Cluster')).to.equal(false);
    const withCrds = surfaceFromRules([{ apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'create'] }]);
    expect(withCrds.verbs('apiextensions.k8s.io', 'customresourcedefinitions', 'Cluster', ['create', 'get', 'list', 'watch'])).to.deep.equal(['get', 'list']);
  });

  it('has a fingerprint that changes with the surface and not with the order of the rules', () => {
    const rules = resolveCapabilities({ preset: 'developer' }).rules;
    expect(surfaceFromRules([...rules].reverse()).fingerprint).to.equal(surfaceFromRules(rules).fingerprint);
    expect(viewer.fingerprint).to.not.equal(developer.fingerprint);
    expect(mergeRulesReviews([{ resourceRules: rules.slice(0, 2) }, {}, { resourceRules: rules.slice(2) }])).to.deep.equal(rules);
  });

  describe('legacy discovery', () => {
    it('/api/v1 for a viewer: the granted kinds with read verbs, its namespaces, nothing cluster-wide', () => {
      const doc = filterCoreApiResourceList(coreV1, viewer);
      expect(doc.kind).to.equal('APIResourceList');
      expect(doc.groupVersion).to.equal('v1');
      expect(names(doc)).to.deep.equal(
        [
          'configmaps',
          'endpoints',
          'events',
          'limitranges',
          'namespaces',
          'persistentvolumeclaims',
          'pods',
          'pods/log',
          'replicationcontrollers',
          'resourcequotas',
          'serviceaccounts',
          'services',
        ].sort(),
      );
      expect(verbsOf(doc, 'pods')).to.deep.equal(['get', 'list', 'watch']);
      expect(verbsOf(doc, 'namespaces')).to.deep.equal(['create', 'delete', 'get', 'list', 'watch']);
      // Everything else about the entry is the apiserver's.
      const pods = doc.resources.find((r) => r.name === 'pods')!;
      const original = coreV1.resources.find((r) => r.name === 'pods')!;
      expect({ ...pods, verbs: original.verbs }).to.deep.equal(original);
    });

    it('/api/v1 for a developer and an admin: writes, exec, tokens only where the preset grants them', () => {
      const dev = filterCoreApiResourceList(coreV1, developer);
      expect(names(dev)).to.include.members(['secrets', 'pods/exec', 'pods/attach', 'pods/portforward', 'pods/log']);
      expectNone(names(dev), ['nodes', 'persistentvolumes', 'componentstatuses', 'namespaces/status', 'namespaces/finalize']);
      expectNone(names(dev), ['pods/status', 'pods/eviction', 'pods/proxy', 'serviceaccounts/token', 'bindings', 'podtemplates']);
      expect(verbsOf(dev, 'pods')).to.deep.equal(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
      expect(verbsOf(dev, 'pods/exec')).to.deep.equal(['create', 'get']);
      expect(verbsOf(dev, 'events')).to.deep.equal(['create', 'get', 'list', 'patch', 'watch']);
      expect(verbsOf(dev, 'resourcequotas')).to.deep.equal(['get', 'list', 'watch']);
      const adm = filterCoreApiResourceList(coreV1, admin);
      expect(verbsOf(adm, 'serviceaccounts/token')).to.deep.equal(['create']);
      expect(names(adm)).to.not.include('nodes');
    });

    it('/apis/<g>/<v>: canopy.dev shows only PropagatedObjects, apps its workloads and scale', () => {
      expect(names(filterApiResourceList('canopy.dev', canopyV1alpha1, developer))).to.deep.equal(['propagatedobjects']);
      expect(names(filterApiResourceList('apps', appsV1, viewer))).to.deep.equal([
        'daemonsets',
        'deployments',
        'deployments/scale',
        'replicasets',
        'replicasets/scale',
        'statefulsets',
        'statefulsets/scale',
      ]);
      expect(verbsOf(filterApiResourceList('apps', appsV1, developer), 'deployments/scale')).to.deep.equal(['get', 'patch', 'update']);
    });

    it('shows a subresource only beside its parent', () => {
      const onlyExec = surfaceFromRules([{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]);
      expect(names(filterCoreApiResourceList(coreV1, onlyExec))).to.deep.equal(['namespaces']);
    });

    it('/apis drops the groups and versions with nothing shown', () => {
      const groupsOf = (surface: ApiSurface) => filterApiGroupList(groupList, surface, gvr).groups.map((g) => g.name);
      const common = [
        'apps',
        'authentication.k8s.io',
        'authorization.k8s.io',
        'autoscaling',
        'batch',
        'canopy.dev',
        'discovery.k8s.io',
        'networking.k8s.io',
        'node.k8s.io',
        'policy',
        'scheduling.k8s.io',
        'storage.k8s.io',
      ];
      expect(groupsOf(viewer).sort()).to.deep.equal(common);
      expect(groupsOf(developer).sort()).to.deep.equal([...common, 'coordination.k8s.io'].sort());
      expect(groupsOf(admin).sort()).to.deep.equal([...common, 'coordination.k8s.io', 'rbac.authorization.k8s.io'].sort());
      const filtered = filterApiGroupList(groupList, viewer, gvr);
      expect(filtered.kind).to.equal('APIGroupList');
      const autoscaling = filtered.groups.find((g) => g.name === 'autoscaling')!;
      expect(autoscaling).to.deep.equal(groupList.groups.find((g) => g.name === 'autoscaling'));
      expect(filterApiGroup(groupList.groups.find((g) => g.name === 'certificates.k8s.io')!, admin, gvr)).to.equal(undefined);
      expect(groupVersionShown('rbac.authorization.k8s.io/v1', developer, gvr)).to.equal(false);
      expect(groupVersionShown('rbac.authorization.k8s.io/v1', admin, gvr)).to.equal(true);
      expect(groupVersionShown('v1', viewer, gvr)).to.equal(true);
    });

    it('moves preferredVersion to a version that is left', () => {
      const hpaV1Only = surfaceFromRules([{ apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get'] }]);
      const v1Only = new Map(gvr);
      v1Only.set('autoscaling/v2', []);
      const group = filterApiGroup(groupList.groups.find((g) => g.name === 'autoscaling')!, hpaV1Only, v1Only)!;
      expect(group.versions.map((v) => v.groupVersion)).to.deep.equal(['autoscaling/v1']);
      expect(group.preferredVersion?.groupVersion).to.equal('autoscaling/v1');
    });

    it('/ lists only what the gateway serves, and of the APIs only the shown groups and versions', () => {
      const root = fixture<{ paths: string[] }>('root.json');
      const paths = filterRootPaths(root, developer, gvr).paths ?? [];
      expect(paths).to.include.members([
        '/api',
        '/api/v1',
        '/apis',
        '/apis/',
        '/apis/apps',
        '/apis/apps/v1',
        '/apis/autoscaling/v2',
        '/openapi/v2',
        '/openapi/v3',
        '/version',
        '/healthz',
        '/livez',
      ]);
      expectNone(paths, [
        '/apis/rbac.authorization.k8s.io',
        '/apis/rbac.authorization.k8s.io/v1',
        '/apis/certificates.k8s.io/v1',
        '/metrics',
        '/logs',
        '/.well-known/openid-configuration',
      ]);
      expect(paths.filter((p) => p.startsWith('/apis/apiextensions') || p.startsWith('/debug'))).to.deep.equal([]);
      expect(filterRootPaths(root, admin, gvr).paths).to.include('/apis/rbac.authorization.k8s.io/v1');
    });
  });

  describe('aggregated discovery', () => {
    for (const [preset, surface] of [
      ['viewer', viewer],
      ['developer', developer],
      ['admin', admin],
    ] as const) {
      it(`shows the ${preset} exactly what the legacy documents show, verbs included`, () => {
        const legacy = legacyView(surface);
        const aggregated = aggregatedView(surface);
        expect([...aggregated].sort()).to.deep.equal([...legacy].sort());
        expect(aggregated.size).to.be.greaterThan(10);
      });
    }

    it('keeps the list shape and drops hidden groups, versions and subresources', () => {
      const doc = filterAggregatedDiscovery(aggregatedApis, developer);
      expect(doc.kind).to.equal('APIGroupDiscoveryList');
      expect(doc.apiVersion).to.equal('apidiscovery.k8s.io/v2');
      const groups = (doc.items ?? []).map((i) => i.metadata?.name);
      expectNone(groups, ['rbac.authorization.k8s.io', 'certificates.k8s.io', 'admissionregistration.k8s.io', 'apiregistration.k8s.io']);
      expectNone(groups, ['flowcontrol.apiserver.k8s.io', 'resource.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io']);
      const apps = doc.items!.find((i) => i.metadata?.name === 'apps')!;
      const deployments = apps.versions![0]!.resources!.find((r) => r.resource === 'deployments')!;
      expect(deployments.subresources?.map((s) => s.subresource)).to.deep.equal(['scale']);
      expect(deployments.shortNames).to.deep.equal(['deploy']);
      expect(apps.versions![0]!.freshness).to.equal('Current');
      const canopy = doc.items!.find((i) => i.metadata?.name === 'canopy.dev')!;
      expect(canopy.versions![0]!.resources!.map((r) => r.resource)).to.deep.equal(['propagatedobjects']);
      const core = filterAggregatedDiscovery(aggregatedApi, developer).items![0]!;
      expectNone(
        core.versions![0]!.resources!.map((r) => r.resource),
        ['nodes', 'componentstatuses', 'persistentvolumes', 'bindings'],
      );
    });

    it('answers aggregated discovery only for the types the gateway can read', () => {
      expect(isAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')).to.equal(true);
      expect(isAggregatedDiscovery('application/json')).to.equal(false);
      expect(
        forwardableDiscoveryAccept(
          'application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
        ),
      ).to.equal('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json');
      expect(forwardableDiscoveryAccept('application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).to.equal('application/json');
    });
  });

  describe('OpenAPI', () => {
    it('parses OpenAPI path templates', () => {
      expect(openApiPathTarget('/api/v1/namespaces/{namespace}/pods/{name}/exec')).to.deep.equal({
        kind: 'resource',
        group: '',
        version: 'v1',
        resource: 'pods/exec',
        inNamespace: true,
      });
      expect(openApiPathTarget('/api/v1/namespaces/{name}/status')).to.deep.equal({
        kind: 'resource',
        group: '',
        version: 'v1',
        resource: 'namespaces/status',
        inNamespace: false,
      });
      expect(openApiPathTarget('/apis/apps/v1/watch/deployments')).to.deep.equal({
        kind: 'resource',
        group: 'apps',
        version: 'v1',
        resource: 'deployments',
        inNamespace: false,
      });
      expect(openApiPathTarget('/apis/apps/')).to.deep.equal({ kind: 'group', group: 'apps' });
      expect(openApiPathTarget('/version/')).to.deep.equal({ kind: 'other', head: 'version' });
    });

    it('/openapi/v3 lists only the shown group versions, under hashes of the narrowed documents', () => {
      const index = filterOpenApiV3Index(openApiV3, viewer, gvr);
      const paths = Object.keys(index.paths);
      expect(paths).to.include.members([
        'api',
        'api/v1',
        'apis',
        'apis/apps',
        'apis/apps/v1',
        'apis/canopy.dev/v1alpha1',
        'version',
        '.well-known/openid-configuration',
      ]);
      expectNone(paths, ['apis/rbac.authorization.k8s.io/v1', 'apis/rbac.authorization.k8s.io', 'apis/certificates.k8s.io/v1', 'apis/apiextensions.k8s.io/v1']);
      expectNone(paths, ['apis/admissionregistration.k8s.io/v1', 'apis/flowcontrol.apiserver.k8s.io/v1', 'apis/coordination.k8s.io/v1']);
      expect(Object.keys(filterOpenApiV3Index(openApiV3, admin, gvr).paths)).to.include('apis/rbac.authorization.k8s.io/v1');
      const upstream = openApiV3.paths['apis/apps/v1']!.serverRelativeURL;
      const narrowed = index.paths['apis/apps/v1']!.serverRelativeURL;
      expect(narrowed).to.match(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
      expect(narrowed).to.not.equal(upstream);
      expect(filterOpenApiV3Index(openApiV3, developer, gvr).paths['apis/apps/v1']!.serverRelativeURL).to.not.equal(narrowed);
      expect(filterOpenApiV3Index(openApiV3, viewer, gvr).paths['apis/apps/v1']!.serverRelativeURL).to.equal(narrowed);
    });

    it('serves a v3 document only when something in it is shown', () => {
      expect(openApiV3PathAllowed('/openapi/v3/apis/rbac.authorization.k8s.io/v1?hash=AB', viewer, gvr)).to.equal(false);
      expect(openApiV3PathAllowed('/openapi/v3/apis/rbac.authorization.k8s.io/v1', admin, gvr)).to.equal(true);
      expect(openApiV3PathAllowed('apis/apps/v1', viewer, gvr)).to.equal(true);
      expect(openApiV3PathAllowed('apis/example.com/v1', admin, gvr)).to.equal(false);
      expect(openApiV3PathAllowed('api/v1', viewer, gvr)).to.equal(true);
      expect(openApiV3PathAllowed('apis', viewer, gvr)).to.equal(true);
    });

    it('narrows a v3 group version document to the shown resources (every operation kept) and the schemas they reach', () => {
      const doc = filterOpenApiV3Document(openApiV3Apps, viewer);
      const paths = Object.keys(doc.paths ?? {});
      expect(paths).to.include.members(['/apis/apps/v1/', '/apis/apps/v1/deployments', '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']);
      expect(paths.filter((p) => p.includes('controllerrevisions'))).to.deep.equal([]);
      const deployment = doc.paths?.['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'] as Record<string, unknown>;
      // Clients learn from the operations what the server supports (the PATCH operation's fieldValidation): all stay, whatever the verbs.
      expect(deployment).to.deep.equal(openApiV3Apps.paths?.['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']);
      expect(Object.keys(deployment).filter((k) => k !== 'parameters')).to.have.members(['get', 'put', 'delete', 'patch']);
      const schemas = Object.keys(doc.components?.schemas ?? {});
      expect(schemas).to.include('io.k8s.api.apps.v1.Deployment');
      expect(schemas).to.not.include('io.k8s.api.apps.v1.ControllerRevision');
      expect(danglingRefs(doc, doc)).to.deep.equal([]);
      const dev = filterOpenApiV3Document(openApiV3Apps, developer);
      expect((dev as { openapi?: string }).openapi).to.equal((openApiV3Apps as { openapi?: string }).openapi);
      expect(dev.components?.['securitySchemes']).to.deep.equal(openApiV3Apps.components?.['securitySchemes']);
    });

    it('narrows the v2 document: hidden kinds, their paths and definitions go, kept paths still resolve', () => {
      const doc = filterOpenApiV2(openApiV2, developer);
      const paths = Object.keys(doc.paths ?? {});
      expect(paths).to.include.members([
        '/api/v1/namespaces',
        '/api/v1/namespaces/{namespace}/pods',
        '/api/v1/namespaces/{namespace}/pods/{name}/exec',
        '/api/v1/namespaces/{namespace}/secrets/{name}',
        '/apis/apps/v1/namespaces/{namespace}/deployments',
        '/apis/canopy.dev/v1alpha1/namespaces/{namespace}/propagatedobjects',
        '/version/',
      ]);
      for (const hidden of [
        '/api/v1/nodes',
        '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        '/apis/canopy.dev/v1alpha1/clusters',
        '/api/v1/namespaces/{name}/status',
      ]) {
        expect(paths).to.not.include(hidden);
      }
      expect(paths.filter((p) => p.includes('rbac.authorization.k8s.io'))).to.deep.equal([]);
      expect(paths.filter((p) => p.includes('/pods/{name}/proxy') || p.startsWith('/logs'))).to.deep.equal([]);
      const definitions = Object.keys(doc.definitions ?? {});
      expect(definitions).to.include.members(['io.k8s.api.apps.v1.Deployment', 'io.k8s.api.core.v1.Pod', 'io.k8s.api.core.v1.Namespace']);
      expectNone(definitions, ['io.k8s.api.core.v1.Node', 'io.k8s.api.rbac.v1.ClusterRole', 'io.k8s.api.apps.v1.ControllerRevision']);
      expect(danglingRefs(doc, doc)).to.deep.equal([]);
      expect(doc.paths?.['/api/v1/namespaces']).to.deep.equal(openApiV2.paths?.['/api/v1/namespaces']);
      // The viewer's surface is narrower: logs but no exec, no secrets.
      const read = Object.keys(filterOpenApiV2(openApiV2, viewer).paths ?? {});
      expect(read).to.include('/api/v1/namespaces/{namespace}/pods/{name}/log');
      expect(read).to.not.include('/api/v1/namespaces/{namespace}/pods/{name}/exec');
      expect(read).to.not.include('/api/v1/namespaces/{namespace}/secrets');
    });
  });
});

describe('gateway discovery: OpenAPI v2 as protobuf', () => {
  const protobuf = readFileSync(join(fixtures, 'openapi-v2.subset.pb'));

  it('removes by name exactly what the JSON narrowing removed, and keeps every other byte', () => {
    const before = openApiV2ProtobufNames(protobuf);
    expect(before.paths).to.include.members(['/api/v1/nodes', '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/api/v1/namespaces/{namespace}/configmaps']);
    expect(before.definitions).to.include.members(['io.k8s.api.rbac.v1.ClusterRole', 'io.k8s.api.core.v1.ConfigMap']);
    for (const [surface, exec] of [
      [developer, true],
      [viewer, false],
    ] as const) {
      const narrowed = filterOpenApiV2(openApiV2, surface);
      const after = openApiV2ProtobufNames(filterOpenApiV2Protobuf(protobuf, narrowed));
      expect(after.paths).to.deep.equal(before.paths.filter((p) => p in (narrowed.paths ?? {})));
      expect(after.definitions).to.deep.equal(before.definitions.filter((d) => d in (narrowed.definitions ?? {})));
      expect(after.paths).to.include.members(['/api/v1/namespaces/{namespace}/configmaps', '/version/', '/api/', '/apis/']);
      expect(after.paths.includes('/api/v1/namespaces/{namespace}/pods/{name}/exec')).to.equal(exec);
      expectNone(after.paths, ['/api/v1/nodes', '/api/v1/nodes/{name}', '/apis/rbac.authorization.k8s.io/v1/clusterroles']);
      expectNone(after.definitions, ['io.k8s.api.rbac.v1.ClusterRole', 'io.k8s.api.rbac.v1.AggregationRule']);
    }
    // Nothing to remove: the same bytes.
    const everything = { paths: Object.fromEntries(before.paths.map((p) => [p, {}])), definitions: Object.fromEntries(before.definitions.map((d) => [d, {}])) };
    expect(filterOpenApiV2Protobuf(protobuf, everything).equals(protobuf)).to.equal(true);
    expect(() => filterOpenApiV2Protobuf(protobuf.subarray(0, protobuf.length - 7), everything)).to.throw(/truncated|malformed/);
  });
});

describe('gateway discovery: host resources per group version', () => {
  it('agree between aggregated and legacy discovery', () => {
    const legacy = groupVersionResourcesFromLists([coreV1, ...Object.values(groupLists)]);
    const norm = (m: ReadonlyMap<string, readonly { name: string; namespaced: boolean }[]>) =>
      [...m].map(([gv, list]) => [gv, list.map((r) => `${r.name}:${r.namespaced}`).sort()]).sort();
    expect(norm(gvr)).to.deep.equal(norm(legacy));
  });
});
