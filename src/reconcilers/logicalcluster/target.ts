/**
 * Where a tenant kubeconfig points: the server and CA a client needs to reach
 * the cluster that holds the logical cluster's namespaces, taken from the
 * KubeConfig Canopy itself uses for that cluster.
 */

import { readFileSync } from 'node:fs';
import type { KubeConfigSource } from '../../runtime/kubeconfig.js';

export interface ServerEndpoint {
  readonly server: string;
  /** Base64 PEM. */
  readonly caData?: string | undefined;
  readonly insecureSkipTlsVerify?: boolean | undefined;
}

/** The current cluster of a KubeConfig as a tenant can use it (CA inlined, never a file path). */
export function endpointOf(kubeConfig: KubeConfigSource): ServerEndpoint {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  let caData = cluster.caData;
  if (!caData && cluster.caFile) caData = readFileSync(cluster.caFile).toString('base64');
  return { server: cluster.server, caData, insecureSkipTlsVerify: cluster.skipTLSVerify || undefined };
}
