import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export interface KubeconfigParams {
  readonly clusterName: string;
  readonly server: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  readonly caPem: string;
  readonly userName: string;
  readonly token: string;
}

/** A kubeconfig document (the YAML users and kubectl read). */
export function kubeconfigYaml(params: KubeconfigParams): string {
  const context = `${params.userName}@${params.clusterName}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: params.clusterName,
        cluster: { server: params.server, 'certificate-authority-data': Buffer.from(params.caPem).toString('base64') },
      },
    ],
    users: [{ name: params.userName, user: { token: params.token } }],
    contexts: [{ name: context, context: { cluster: params.clusterName, user: params.userName } }],
    'current-context': context,
  });
}

/** The same kubeconfig as a client-node KubeConfig, without touching disk. */
export function kubeConfigFor(params: KubeconfigParams): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(params));
  return kc;
}
