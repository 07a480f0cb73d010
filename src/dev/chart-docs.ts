/**
 * The chart README's content, built from values.yaml's comments and the list
 * of operator settings below. Pure: callers read and write the files
 * (`npm run chart:readme`; test/unit/chart.test.ts fails when README.md is stale).
 */
import { parse } from 'yaml';

export interface ValueDoc {
  /** Dotted path, e.g. `webhook.certManager.enabled`. */
  readonly path: string;
  /** The default as JSON. */
  readonly defaultJson: string;
  /** The comment lines above the key, joined. */
  readonly description: string;
}

interface Line {
  readonly indent: number;
  readonly key: string;
  readonly inline: boolean;
  readonly comment: string;
}

/**
 * Every documented value of values.yaml: a key whose subtree holds no other
 * comment is one row (its whole value is the default), so `resources` is one
 * row and `webhook.certManager.enabled` another. The file must use block
 * style with comments on their own lines directly above the key.
 */
export function valueDocs(valuesYaml: string): ValueDoc[] {
  const values = parse(valuesYaml) as Record<string, unknown>;
  const lines: Line[] = [];
  let pending: string[] = [];
  for (const raw of valuesYaml.split('\n')) {
    const comment = /^\s*#\s?(.*)$/.exec(raw);
    if (comment) {
      pending.push(comment[1]!.trim());
      continue;
    }
    const key = /^(\s*)([A-Za-z0-9_-]+):(.*)$/.exec(raw);
    if (key) {
      lines.push({ indent: key[1]!.length, key: key[2]!, inline: key[3]!.trim() !== '', comment: pending.join(' ') });
    }
    // A blank line or any other line ends a comment block (the file's header is not a key's).
    pending = [];
  }

  const docs: ValueDoc[] = [];
  const stack: { indent: number; key: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= line.indent) stack.pop();
    // Inside a subtree already emitted as one row.
    if (stack.some((s) => s.key === '\u0000')) continue;
    const path = [...stack.map((s) => s.key), line.key];
    const children: Line[] = [];
    for (let j = i + 1; j < lines.length && lines[j]!.indent > line.indent; j++) children.push(lines[j]!);
    const leaf = line.inline || children.length === 0 || children.every((c) => c.comment === '');
    if (leaf) {
      docs.push({ path: path.join('.'), defaultJson: JSON.stringify(lookup(values, path)) ?? 'null', description: line.comment });
      if (children.length > 0) stack.push({ indent: line.indent, key: '\u0000' });
    } else {
      if (line.comment !== '') docs.push({ path: path.join('.'), defaultJson: '', description: line.comment });
      stack.push({ indent: line.indent, key: line.key });
    }
  }
  return docs;
}

function lookup(values: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = values;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

/** Every CANOPY_* setting the operator reads, and how the chart sets it. */
export const OPERATOR_SETTINGS: readonly { readonly name: string; readonly value?: string; readonly note: string }[] = [
  { name: 'CANOPY_NAMESPACE', note: "the pod's namespace (the release namespace)" },
  { name: 'CANOPY_POD_NAME', note: "the pod's name" },
  { name: 'CANOPY_LOG_LEVEL', value: 'logLevel', note: '' },
  { name: 'CANOPY_METRICS_PORT', value: 'metrics.port', note: '' },
  { name: 'CANOPY_HEALTH_PORT', value: 'health.port', note: '' },
  { name: 'CANOPY_BIND_ADDRESS', value: 'bindAddress', note: '' },
  { name: 'CANOPY_LEADER_ELECT', value: 'leaderElection.enabled', note: '' },
  { name: 'CANOPY_LEADER_ELECTION_ID', value: 'leaderElection.leaseName', note: 'default `<fullname>-leader`' },
  { name: 'CANOPY_LEASE_DURATION', value: 'leaderElection.leaseDurationSeconds', note: 'as `<n>s`' },
  { name: 'CANOPY_RENEW_DEADLINE', value: 'leaderElection.renewDeadlineSeconds', note: 'as `<n>s`' },
  { name: 'CANOPY_RETRY_PERIOD', value: 'leaderElection.retryPeriodSeconds', note: 'as `<n>s`' },
  { name: 'CANOPY_GRACEFUL_SHUTDOWN_TIMEOUT', value: 'gracefulShutdownTimeoutSeconds', note: 'as `<n>s`' },
  { name: 'CANOPY_MAX_MEMBER_CLUSTERS', value: 'maxMemberClusters', note: '' },
  { name: 'CANOPY_ALLOW_MEMBER_KUBECONFIG_PLUGINS', value: 'memberKubeconfigs.allowPlugins', note: '' },
  { name: 'CANOPY_FINALIZER_TIMEOUT_SECONDS', value: 'finalizerTimeoutSeconds', note: '' },
  {
    name: 'CANOPY_PLACEMENT_PLUGINS_ALLOW_LOOPBACK',
    note: "not set: `true` lets PlacementPolicy plugins sit on loopback addresses, for development with the plugin on the operator's host",
  },
  { name: 'CANOPY_RESERVED_NAMESPACES', value: 'reservedNamespaces', note: 'comma-separated' },
  { name: 'CANOPY_WEBHOOK', value: 'webhook.enabled', note: '' },
  { name: 'CANOPY_WEBHOOK_HOST', value: 'bindAddress', note: "the webhook server's listen address" },
  { name: 'CANOPY_WEBHOOK_PORT', value: 'webhook.port', note: '' },
  { name: 'CANOPY_WEBHOOK_TIMEOUT_SECONDS', value: 'webhook.timeoutSeconds', note: '' },
  { name: 'CANOPY_WEBHOOK_CONFIGURATION_NAME', value: 'webhook.validatingConfigurationName', note: 'default `<fullname>-validating`' },
  { name: 'CANOPY_WEBHOOK_MUTATING_CONFIGURATION_NAME', value: 'webhook.mutatingConfigurationName', note: 'default `<fullname>-mutating`' },
  { name: 'CANOPY_WEBHOOK_SERVICE', note: 'set by the chart: `<fullname>-webhook.<namespace>.svc` (port 443)' },
  { name: 'CANOPY_WEBHOOK_SERVICE_NAME', note: 'not set: CANOPY_WEBHOOK_SERVICE names the Service (this and _NAMESPACE, _PORT are its long form)' },
  { name: 'CANOPY_WEBHOOK_SERVICE_NAMESPACE', note: 'not set: see CANOPY_WEBHOOK_SERVICE' },
  { name: 'CANOPY_WEBHOOK_SERVICE_PORT', note: 'not set: the webhook Service listens on 443' },
  { name: 'CANOPY_WEBHOOK_URL', note: 'not set: for an operator outside the cluster, which the apiserver calls by URL instead of a Service' },
  { name: 'CANOPY_OWNER_CLUSTERROLE', note: 'set by the chart: `<fullname>-operator`, so `helm uninstall` garbage-collects what the operator wrote' },
  {
    name: 'CANOPY_WEBHOOK_CERT_DIR',
    value: 'webhook.existingSecret',
    note: 'or `webhook.certManager.enabled`: the Secret is mounted at /etc/canopy/webhook-certs',
  },
  { name: 'CANOPY_WEBHOOK_CERT_FILE', note: "not set: CANOPY_WEBHOOK_CERT_DIR points at the mounted Secret's tls.crt (outside the chart: a file path)" },
  { name: 'CANOPY_WEBHOOK_KEY_FILE', note: "not set: the mounted Secret's tls.key" },
  { name: 'CANOPY_WEBHOOK_CA_FILE', note: "not set: the mounted Secret's ca.crt, when present" },
  {
    name: 'CANOPY_WEBHOOK_CERT_SECRET',
    value: 'webhook.generatedCertificate.secretName',
    note: 'default `<fullname>-webhook-tls`; only without a provided certificate',
  },
  { name: 'CANOPY_WEBHOOK_CERT_VALIDITY_HOURS', value: 'webhook.generatedCertificate.validityHours', note: 'only without a provided certificate' },
  { name: 'CANOPY_GATEWAY', value: 'gateway.enabled', note: '' },
  { name: 'CANOPY_TENANT_KUBECONFIG', value: 'tenantKubeconfig', note: '`direct` whenever `gateway.enabled` is false' },
  { name: 'CANOPY_GATEWAY_HOST', value: 'bindAddress', note: "the gateway's listen address" },
  { name: 'CANOPY_GATEWAY_PORT', value: 'gateway.port', note: '' },
  { name: 'CANOPY_GATEWAY_EXTERNAL_URL', value: 'gateway.externalUrl', note: 'default `https://<fullname>-gateway.<namespace>.svc`' },
  { name: 'CANOPY_GATEWAY_SERVICE_DNS_NAMES', value: 'gateway.extraDnsNames', note: "comma-separated, after the gateway Service's four names" },
  { name: 'CANOPY_GATEWAY_MAX_BODY_BYTES', value: 'gateway.maxBodyBytes', note: '' },
  { name: 'CANOPY_GATEWAY_TOKEN_REVIEW_CACHE_MS', value: 'gateway.tokenReviewCacheSeconds', note: 'in milliseconds' },
  { name: 'CANOPY_GATEWAY_CERT_FILE', note: "not set: CANOPY_GATEWAY_CERT_DIR points at the mounted Secret's tls.crt (outside the chart: a file path)" },
  { name: 'CANOPY_GATEWAY_KEY_FILE', note: "not set: the mounted Secret's tls.key" },
  { name: 'CANOPY_GATEWAY_CA_FILE', note: "not set: the mounted Secret's ca.crt, when present" },
  {
    name: 'CANOPY_GATEWAY_CERT_DIR',
    value: 'gateway.existingSecret',
    note: 'or `gateway.certManager.enabled`: the Secret is mounted at /etc/canopy/gateway-certs',
  },
  {
    name: 'CANOPY_GATEWAY_CERT_SECRET',
    value: 'gateway.generatedCertificate.secretName',
    note: 'default `<fullname>-gateway-tls`; only without a provided certificate',
  },
  { name: 'CANOPY_GATEWAY_CERT_VALIDITY_HOURS', value: 'gateway.generatedCertificate.validityHours', note: 'only without a provided certificate' },
];

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The whole chart README. */
export function chartReadme(valuesYaml: string): string {
  const rows = valueDocs(valuesYaml).map((d) => `| \`${d.path}\` | ${d.defaultJson === '' ? '' : `\`${cell(d.defaultJson)}\``} | ${cell(d.description)} |`);
  const settings = OPERATOR_SETTINGS.map((s) => `| \`${s.name}\` | ${s.value ? `\`${s.value}\`` : ''} | ${cell(s.note)} |`);
  return `<!-- Generated by \`npm run chart:readme\` from values.yaml's comments (src/dev/chart-docs.ts); do not edit by hand. -->
# Canopy Helm chart

Tenancy and placement for Kubernetes: workspace trees, logical clusters,
placement policies and multi-cluster propagation. The chart installs the five
CRDs (\`crds/\`), the operator's least-privilege RBAC, the operator Deployment
and its Services; the operator registers its own admission webhooks.

## Install

\`\`\`sh
helm install canopy charts/canopy --namespace canopy-system --create-namespace
helm test canopy -n canopy-system
\`\`\`

Kubernetes 1.30 or later (checked at install against the cluster; \`helm template\`
renders offline without \`--kube-version\`). Every value is checked against
\`values.schema.json\`: \`--set replicaCount=abc\` is refused before anything renders.

\`helm test\` runs a Pod (the operator image's Node.js, \`tests.image\` to change it)
that checks, as a ServiceAccount allowed only that: every CRD is Established,
the validating webhook configuration exists with a caBundle, and a dry-run
LogicalCluster is reviewed by the webhook (admitted, or denied by it because
the test's workspace does not exist: either answer proves the apiserver
reaches the webhook, which fails closed).

## Upgrading

\`helm upgrade\` does not update CRDs (Helm installs \`crds/\` only on first
install, and never upgrades or deletes them). Apply the new ones first:

\`\`\`sh
kubectl apply --server-side -f charts/canopy/crds/
helm upgrade canopy charts/canopy -n canopy-system
\`\`\`

From chart 0.1.0: object names now follow the release (\`<fullname>-operator\`,
\`<fullname>-webhook\`, ...). A release named \`canopy\` keeps every name; for
another release name set \`fullnameOverride=canopy\` to keep them; otherwise the
Deployment, Lease, Services, ClusterRole and webhook configurations are
replaced under new names during the upgrade, and while the old pods stop the
new ones may already lead under the new Lease. The PodDisruptionBudget is now
rendered only with more than one replica (or \`podDisruptionBudget.enabled\`).

## Values

| value | default | description |
| --- | --- | --- |
${rows.join('\n')}

## Operator settings

Every \`CANOPY_*\` environment variable the operator reads, and the value that sets it
(\`extraEnv\` adds any other variable).

| variable | value | note |
| --- | --- | --- |
${settings.join('\n')}
`;
}
