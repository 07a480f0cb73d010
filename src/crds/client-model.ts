/**
 * The CRDs as @kubernetes/client-node model objects, for tools that install
 * them through the client's typed APIs (tests, dev tooling). Kept apart from
 * the schemas so the operator, which never needs the models, does not load
 * the client's generated API.
 */
import { loadYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { CustomResourceDefinitionManifest } from './crd.js';
import { customResourceDefinitionManifests } from './index.js';

/**
 * The same CRD as @kubernetes/client-node's model object. The client's
 * serializer maps model field names (`x_kubernetes_validations`, `_enum`,
 * `_default`) to wire names; handing it wire-format JSON would silently drop
 * CEL rules, enums and defaults, so client calls must use this form.
 */
export function toClientModel(manifest: CustomResourceDefinitionManifest): V1CustomResourceDefinition {
  // JSON is YAML, and loadYaml is the client's public way to deserialize into its models.
  return loadYaml<V1CustomResourceDefinition>(JSON.stringify(manifest));
}

/**
 * The six CRDs as @kubernetes/client-node models, ready for
 * ApiextensionsV1Api or KubernetesObjectApi (which would drop CEL rules,
 * enums and defaults from wire-format JSON).
 */
export function allCustomResourceDefinitions(): V1CustomResourceDefinition[] {
  return customResourceDefinitionManifests().map(toClientModel);
}
