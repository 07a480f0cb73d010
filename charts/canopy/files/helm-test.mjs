// `helm test` check of a Canopy release, run by the test Pod with the
// operator's Node.js and nothing else (no kubectl in the image): the CRDs are
// Established, the validating webhook configuration is registered with a
// caBundle, and a dry-run LogicalCluster goes through admission, which only
// answers when the apiserver reaches the webhook (it fails closed otherwise).
// Settings come from the Pod's environment; CANOPY_TEST_API_SERVER and
// CANOPY_TEST_SERVICEACCOUNT_DIR let the same file run outside a Pod.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

const env = process.env;
const accountDir = env.CANOPY_TEST_SERVICEACCOUNT_DIR || '/var/run/secrets/kubernetes.io/serviceaccount';
const host = env.KUBERNETES_SERVICE_HOST || '';
const server = env.CANOPY_TEST_API_SERVER || `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT || '443'}`;
const token = readFileSync(`${accountDir}/token`, 'utf8').trim();
const ca = readFileSync(`${accountDir}/ca.crt`);

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, server), {
      method,
      ca,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
      timeout: 30_000,
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        let json = {};
        try { json = JSON.parse(text); } catch { json = { message: text }; }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const failures = [];
const pass = (line) => console.log(`ok   ${line}`);
const fail = (line) => { failures.push(line); console.log(`FAIL ${line}`); };

for (const name of (env.CANOPY_TEST_CRDS || '').split(',').filter(Boolean)) {
  const { status, json } = await call('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
  if (status !== 200) { fail(`CRD ${name}: HTTP ${status} ${json.message ?? ''}`.trim()); continue; }
  const established = (json.status?.conditions ?? []).find((c) => c.type === 'Established');
  if (established?.status === 'True') pass(`CRD ${name} is Established`);
  else fail(`CRD ${name} is not Established (${established?.message ?? 'no condition yet'})`);
}

const configuration = env.CANOPY_TEST_WEBHOOK_CONFIGURATION;
if (configuration) {
  const { status, json } = await call('GET', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${configuration}`);
  if (status === 404) fail(`ValidatingWebhookConfiguration ${configuration} does not exist: the operator has not registered its webhook (is it running?)`);
  else if (status !== 200) fail(`ValidatingWebhookConfiguration ${configuration}: HTTP ${status} ${json.message ?? ''}`.trim());
  else {
    const webhooks = json.webhooks ?? [];
    const withoutCa = webhooks.filter((w) => !w.clientConfig?.caBundle).map((w) => w.name);
    if (webhooks.length > 0 && withoutCa.length === 0) pass(`ValidatingWebhookConfiguration ${configuration} has ${webhooks.length} webhooks, each with a caBundle`);
    else fail(`ValidatingWebhookConfiguration ${configuration} has webhooks without a caBundle: ${withoutCa.join(', ') || '(none at all)'}`);
  }

  // A workspace name that does not exist unless one is given: the webhook then
  // answers with a denial, which proves it was reached; an admitted object proves it too.
  const workspace = env.CANOPY_TEST_WORKSPACE || 'canopy-helm-test-absent';
  const logicalCluster = {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'LogicalCluster',
    metadata: { name: `canopy-helm-test-${Date.now().toString(36)}` },
    spec: { workspace, mode: 'Namespace', namespaces: ['apps'] },
  };
  const { status: code, json: answer } = await call('POST', '/apis/canopy.dev/v1alpha1/logicalclusters?dryRun=All', logicalCluster);
  const message = String(answer.message ?? '');
  if (code === 200 || code === 201) pass(`dry-run LogicalCluster in workspace ${workspace} admitted`);
  else if (/failed calling webhook|context deadline exceeded|connection refused|no endpoints/i.test(message)) fail(`the apiserver cannot reach the webhook: ${message}`);
  else if (/admission webhook "[^"]+" denied the request/.test(message) && !env.CANOPY_TEST_WORKSPACE) pass(`dry-run LogicalCluster reviewed by the webhook: ${message}`);
  else fail(`dry-run LogicalCluster: HTTP ${code} ${message}`);
}

if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
