import { waitUntil } from '../../controlplane/launcher/index.js';
import { ApiClient, type KubeObject, type ResourceRef } from '../../src/runtime/index.js';
import { testEnv } from './env.js';

/** An admin client on the shared host (raw JSON, no model re-serialization). */
export function hostAdmin(): ApiClient {
  return ApiClient.for(testEnv().host.kubeConfig());
}

/**
 * Polls an object on the host until `predicate` holds; the error names what
 * was awaited and shows the object's last status, which is what a failing
 * reconciler test needs to be debugged.
 */
export async function objectWhen<T extends KubeObject>(
  resource: ResourceRef,
  name: string,
  namespace: string | undefined,
  predicate: (object: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  let last: T | undefined;
  const client = hostAdmin();
  const ok = await waitUntil(timeoutMs, 250, async () => {
    last = await client.tryGet<T>(resource, name, namespace);
    return last !== undefined && predicate(last);
  });
  if (!ok) {
    const status = (last as { status?: unknown } | undefined)?.status;
    throw new Error(
      `${resource.kind} ${namespace ? `${namespace}/` : ''}${name} never ${what} within ${timeoutMs / 1000}s; last status: ${JSON.stringify(status)}`,
    );
  }
  return last!;
}
