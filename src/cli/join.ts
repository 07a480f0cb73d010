/**
 * `join`'s decisions, pure: which member kubeconfig may be stored (the
 * operator's own rule, member-kubeconfig.ts: inline credentials only), and
 * the Secret and Cluster that register it, as `karmadactl join` does for
 * Karmada. The I/O is in join-command.ts.
 */
import { stringify } from 'yaml';
import { checkMemberKubeconfig, KubeconfigRefusedError } from '../runtime/member-kubeconfig.js';
import { KubeConfig, parseKubeconfigDocument } from '../runtime/kubeconfig.js';
import type { KubeObject } from '../runtime/object.js';
import { API_VERSION } from '../crds/common.js';
import { DEFAULT_KUBECONFIG_KEY } from '../crds/cluster.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../crds/labels.js';
import { CliError } from './errors.js';
import { parseLabelAssignments } from './selector.js';

/** Where the operator keeps member credentials. */
export const SYSTEM_NAMESPACE = 'canopy-system';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface JoinRequest {
  readonly name: string;
  /** The member kubeconfig's text, as read from --kubeconfig-file. */
  readonly kubeconfig: string;
  readonly region: string;
  readonly provider?: string | undefined;
  readonly labels?: string | undefined;
  readonly context?: string | undefined;
}

export function kubeconfigSecretName(cluster: string): string {
  return `${cluster}-kubeconfig`;
}

/**
 * The kubeconfig to store: refused when it runs a program or reads a file
 * (the operator would refuse it too, later and less visibly), narrowed to
 * `context` when one is named, and checked to name a server.
 */
export function memberKubeconfig(text: string, context?: string): string {
  const document = parseKubeconfigDocument(text, '--kubeconfig-file');
  try {
    checkMemberKubeconfig(document, false);
  } catch (err) {
    if (err instanceof KubeconfigRefusedError) throw new CliError(`--kubeconfig-file ${err.message}`);
    throw err;
  }
  const chosen = context ? { ...document, 'current-context': context } : document;
  const kc = new KubeConfig();
  try {
    kc.loadFromDocument(chosen);
    if (context) kc.setCurrentContext(context);
  } catch (err) {
    throw new CliError(`--kubeconfig-file: ${(err as Error).message}`);
  }
  if (!kc.getCurrentCluster()) throw new CliError('--kubeconfig-file has no current context naming a cluster: pass --cluster-context');
  return context ? stringify(chosen) : text;
}

/** The Secret and the Cluster that register the member; both labelled as Canopy's (unjoin removes only those). */
export function joinObjects(request: JoinRequest): { secret: KubeObject; cluster: KubeObject } {
  if (!DNS_LABEL.test(request.name) || request.name.length > 63)
    throw new CliError(`cluster name "${request.name}" must be a DNS label: lower-case letters, digits and '-', at most 63 characters`);
  if (!DNS_LABEL.test(request.region) || request.region.length > 63) throw new CliError(`--region "${request.region}" must be a DNS label (e.g. eu-3)`);
  if (request.provider !== undefined && !DNS_LABEL.test(request.provider))
    throw new CliError(`--provider "${request.provider}" must be a DNS label (e.g. onprem, aws)`);
  const labels = request.labels ? parseLabelAssignments(request.labels, '--labels') : {};
  const managed = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
  const secretName = kubeconfigSecretName(request.name);
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: SYSTEM_NAMESPACE, labels: managed },
    type: 'Opaque',
    stringData: { [DEFAULT_KUBECONFIG_KEY]: memberKubeconfig(request.kubeconfig, request.context) },
  } as KubeObject;
  const cluster = {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: request.name, labels: { ...labels, ...managed } },
    spec: {
      kubeconfigSecretRef: { name: secretName, namespace: SYSTEM_NAMESPACE, key: DEFAULT_KUBECONFIG_KEY },
      region: request.region,
      ...(request.provider ? { provider: request.provider } : {}),
    },
  } as KubeObject;
  return { secret, cluster };
}
