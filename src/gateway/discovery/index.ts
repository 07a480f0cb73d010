/**
 * Which APIs a logical cluster shows: pure functions over the apiserver's own
 * discovery and OpenAPI documents, narrowed to the surface its tenant's rules
 * grant, and the GatewayBackend `discovery` hook that applies them
 * (handler.ts), which the gateway's backend (../index.ts) installs:
 *
 *   discovery: discoveryHandler({ logger, ensureImpersonation })
 *
 * What the hook does with the functions:
 *
 *   rules    = SelfSubjectRulesReview as the tenant in each of its namespaces, status.resourceRules merged
 *   surface  = surfaceFromRules(rules, CLUSTER_SCOPED_KINDS)            // cache with the rules, per logical cluster
 *   gvr      = groupVersionResourcesFromAggregated(hostApi, hostApis)  // host's aggregated /api + /apis, cache briefly
 *
 *   GET /                      -> filterRootPaths(body, surface, gvr)
 *   GET /api, /apis with a response Content-Type containing `as=APIGroupDiscoveryList`
 *                              -> filterAggregatedDiscovery(body, surface)
 *   GET /apis (APIGroupList)   -> filterApiGroupList(body, surface, gvr)
 *   GET /apis/<g>              -> filterApiGroup(body, surface, gvr) ?? 404
 *   GET /api/v1                -> filterCoreApiResourceList(body, surface)
 *   GET /apis/<g>/<v>          -> groupVersionShown ? filterApiResourceList(g, body, surface) : 404
 *   GET /openapi/v2            -> filterOpenApiV2(body, surface); a client that asks for protobuf first (client-go)
 *                                 gets filterOpenApiV2Protobuf(upstream protobuf, that narrowed JSON)
 *   GET /openapi/v3            -> filterOpenApiV3Index(body, surface, gvr)
 *   GET /openapi/v3/<doc>      -> openApiV3PathAllowed(doc, surface, gvr) ? filterOpenApiV3Document(body, surface) : 404
 *                                 (forward without the `hash` query: the index publishes narrowed hashes, and the
 *                                 apiserver would answer an unknown hash with a redirect outside the prefix)
 *
 * Discovery bodies are asked for and read as JSON (forwardableDiscoveryAccept
 * drops the protobuf alternatives a client may list), without compression or
 * cache validators; answers carry `Cache-Control: no-cache, private`.
 */
export type {
  APIGroupDiscovery,
  APIGroupDiscoveryList,
  APIResourceDiscovery,
  APISubresourceDiscovery,
  APIVersionDiscovery,
  DiscoveredResource,
  GroupVersionResources,
  RootPaths,
} from './discovery.js';
export {
  filterAggregatedDiscovery,
  filterApiGroup,
  filterApiGroupList,
  filterApiResourceList,
  filterCoreApiResourceList,
  filterRootPaths,
  forwardableDiscoveryAccept,
  GATEWAY_ROOTS,
  groupVersionResourcesFromAggregated,
  groupVersionResourcesFromLists,
  groupVersionShown,
  isAggregatedDiscovery,
  mergeRulesReviews,
} from './discovery.js';
export type { DiscoveryHandlerOptions, DiscoveryHook } from './handler.js';
export { discoveryHandler, HOST_RESOURCES_TTL_MS, SURFACE_TTL_MS } from './handler.js';
export { filterOpenApiV2Protobuf, OPENAPI_V2_PROTOBUF, openApiV2ProtobufNames } from './openapi-protobuf.js';
export type { OpenApiDocument, OpenApiPathTarget, OpenApiV3Index } from './openapi.js';
export {
  filterOpenApiV2,
  filterOpenApiV3Document,
  filterOpenApiV3Index,
  narrowedOpenApiHash,
  openApiPathTarget,
  openApiV3PathAllowed,
} from './openapi.js';
export type { ApiSurface, GroupResource, ResourceRule, Scope } from './surface.js';
export { CLUSTER_SCOPED_KINDS, surfaceFromRules } from './surface.js';
