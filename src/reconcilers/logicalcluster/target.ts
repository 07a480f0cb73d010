/**
 * Where a tenant kubeconfig points: the server and CA a client needs to reach
 * the cluster that holds the logical cluster's namespaces, taken from the
 * KubeConfig Canopy itself uses for that cluster, or the tenant gateway
 * in front of it.
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

/**
 * The tenant gateway as the operator serves it: its base URL and the PEM of
 * the CA that verifies it. Structurally what the gateway's handle resolves
 * to; declared here because reconcilers sit below the gateway's layer.
 */
export interface GatewayEndpoint {
  readonly url: string;
  /** PEM; empty when the URL's certificate is signed by a CA in the system trust store. */
  readonly caPem: string;
}

/**
 * Resolves, when a kubeconfig is issued, where tenant kubeconfigs point:
 * undefined keeps the direct apiserver endpoint. Resolved per issue rather
 * than at start so a gateway whose certificate is still being generated, or
 * later rotated, is picked up without a restart.
 */
export type KubeconfigEndpoint = () => Promise<GatewayEndpoint> | undefined;

/**
 * The kubeconfig endpoint of one logical cluster behind the gateway:
 * `<url>/clusters/<logical-cluster>`, the same for both modes, so a tenant's
 * kubeconfig keeps its server when the logical cluster changes mode.
 */
export function gatewayEndpointFor(gateway: GatewayEndpoint, logicalCluster: string): ServerEndpoint {
  const base = gateway.url.replace(/\/+$/, '');
  return {
    server: `${base}/clusters/${encodeURIComponent(logicalCluster)}`,
    caData: gateway.caPem.trim() === '' ? undefined : Buffer.from(gateway.caPem).toString('base64'),
  };
}
