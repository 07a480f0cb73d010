import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, KubernetesObjectApi, loadYaml, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { waitUntil } from '../../controlplane/launcher/wait.js';

/** The field manager Canopy uses for every server-side apply. */
export const FIELD_MANAGER = 'canopy';

/** Every YAML document in the files of a directory (sorted by file name). */
export function readManifests(dir: string): KubernetesObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as KubernetesObject | null))
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/** Server-side applies objects in order, as `kubectl apply --server-side` would. */
export async function applyManifests(kc: KubeConfig, objects: readonly KubernetesObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of objects) {
    // The client re-serializes built-in kinds from its model field names (x_kubernetes_validations,
    // _enum, _default); wire-format JSON would lose CEL rules, enums and defaults of a CRD on the
    // way out. loadYaml (JSON is YAML) converts wire format into that model first.
    const model = loadYaml<KubernetesObject>(JSON.stringify(object));
    await client.patch(model, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
}

/** Installs the CRDs in `config/crd` and waits until the apiserver serves them. */
export async function installCrds(kc: KubeConfig, crdDir: string, timeoutMs = 60_000): Promise<string[]> {
  const crds = readManifests(crdDir).filter((o) => o.kind === 'CustomResourceDefinition');
  await applyManifests(kc, crds);
  const names = crds.map((c) => c.metadata?.name ?? '');
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const established = await waitUntil(timeoutMs, 200, async () => {
    const states = await Promise.all(names.map((name) => api.readCustomResourceDefinition({ name })));
    return states.every((crd) => crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
  });
  if (!established) throw new Error(`CRDs not established within ${timeoutMs / 1000}s: ${names.join(', ')}`);
  return names;
}
