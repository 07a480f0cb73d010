import { expect } from 'chai';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration, WEBHOOK_SPECS } from './configuration.js';
import { certificateHosts, webhookOptionsFromEnv } from './index.js';

describe('webhook configuration', () => {
  const url = validatingWebhookConfiguration({ endpoint: { url: 'https://127.0.0.1:9443/' }, caBundlePem: 'PEM' });

  it('is fail-closed, side-effect free, v1 only, 5 s, Equivalent', () => {
    expect(url.metadata.name).to.equal('canopy-validating');
    expect(url.webhooks).to.have.length(WEBHOOK_SPECS.length);
    for (const webhook of url.webhooks) {
      expect(webhook).to.include({ failurePolicy: 'Fail', sideEffects: 'NoneOnDryRun', timeoutSeconds: 5, matchPolicy: 'Equivalent' });
      expect(webhook['admissionReviewVersions']).to.deep.equal(['v1']);
      expect(String(webhook['name'])).to.match(/^[a-z-]+\.validate\.canopy\.dev$/);
    }
  });

  it('points each webhook at its own path, with the caBundle base64-encoded', () => {
    const workspaces = url.webhooks.find((w) => w['name'] === 'workspaces.validate.canopy.dev')!;
    expect(workspaces['clientConfig']).to.deep.equal({ url: 'https://127.0.0.1:9443/validate/workspaces', caBundle: Buffer.from('PEM').toString('base64') });
    const service = validatingWebhookConfiguration({ endpoint: { service: { name: 'canopy-webhook', namespace: 'canopy-system', port: 443 } } });
    expect(service.webhooks[0]!['clientConfig']).to.deep.equal({
      service: { name: 'canopy-webhook', namespace: 'canopy-system', port: 443, path: '/validate/workspaces' },
    });
  });

  it('never matches every object: pods and plain objects only in tenant (workspace-labelled) namespaces', () => {
    for (const webhook of url.webhooks) {
      for (const rule of webhook['rules'] as { resources: string[]; apiGroups: string[] }[]) {
        expect(rule.resources).to.not.include('*');
        expect(rule.apiGroups).to.not.include('*');
        expect(rule.resources).to.not.include('secrets');
      }
    }
    const pods = url.webhooks.find((w) => w['name'] === 'pods.validate.canopy.dev')!;
    expect(pods['namespaceSelector']).to.deep.equal({ matchExpressions: [{ key: 'canopy.dev/workspace', operator: 'Exists' }] });
    const placed = url.webhooks.find((w) => w['name'] === 'placed-objects.validate.canopy.dev')!;
    expect(placed['namespaceSelector']).to.deep.equal({ matchExpressions: [{ key: 'canopy.dev/workspace', operator: 'Exists' }] });
  });

  it("asks about namespaces only when they have or had a hierarchy or membership label, and never about the operator's own writes", () => {
    const withSelf = validatingWebhookConfiguration({
      endpoint: { url: 'https://127.0.0.1:9443' },
      operatorUsername: 'system:serviceaccount:canopy-system:canopy',
    });
    const namespaces = withSelf.webhooks.find((w) => w['name'] === 'namespaces.validate.canopy.dev')!;
    expect(namespaces['rules']).to.deep.equal([
      { apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE', 'UPDATE'], scope: 'Cluster' },
    ]);
    const conditions = namespaces['matchConditions'] as { name: string; expression: string }[];
    expect(conditions.map((c) => c.name)).to.deep.equal(['has-canopy-labels', 'not-canopy-itself']);
    expect(conditions[0]!.expression)
      .to.contain(
        'object.metadata.labels.exists(k, k.endsWith(".tree.canopy.dev/depth") || k in ["canopy.dev/workspace","canopy.dev/logical-cluster","canopy.dev/managed-by","canopy.dev/inherited-from"])',
      )
      .and.to.contain('oldObject != null');
    expect(conditions[1]!.expression).to.equal('request.userInfo.username != "system:serviceaccount:canopy-system:canopy"');
    const unknownSelf = url.webhooks.find((w) => w['name'] === 'namespaces.validate.canopy.dev')!;
    expect((unknownSelf['matchConditions'] as unknown[]).length).to.equal(1);
  });

  it('can be limited to some webhooks and to labelled objects', () => {
    const limited = validatingWebhookConfiguration({
      name: 'x',
      endpoint: { url: 'https://127.0.0.1:1' },
      only: ['workspaces'],
      objectSelector: { matchLabels: { t: '1' } },
    });
    expect(limited.webhooks.map((w) => w['name'])).to.deep.equal(['workspaces.validate.canopy.dev']);
    expect(limited.webhooks[0]!['objectSelector']).to.deep.equal({ matchLabels: { t: '1' } });
  });

  it('has one mutating webhook, for creates of LogicalClusters and PropagatedObjects only, that fails open', () => {
    const mutating = mutatingWebhookConfiguration({ endpoint: { url: 'https://127.0.0.1:9443' }, caBundlePem: 'PEM' })!;
    expect(mutating.kind).to.equal('MutatingWebhookConfiguration');
    expect(mutating.metadata.name).to.equal('canopy-mutating');
    expect(mutating.webhooks).to.have.length(1);
    const [finalizers] = mutating.webhooks;
    expect(finalizers).to.include({
      name: 'finalizers.mutate.canopy.dev',
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      reinvocationPolicy: 'Never',
      timeoutSeconds: 5,
    });
    expect(finalizers!['clientConfig']).to.deep.equal({ url: 'https://127.0.0.1:9443/mutate/finalizers', caBundle: Buffer.from('PEM').toString('base64') });
    const rules = finalizers!['rules'] as { resources: string[]; operations: string[] }[];
    expect(rules.flatMap((r) => r.resources)).to.deep.equal(['logicalclusters', 'propagatedobjects']);
    for (const rule of rules) expect(rule.operations).to.deep.equal(['CREATE']);
    // Generated PropagatedObjects are created with their finalizer: the apiserver need not call for them.
    expect(finalizers!['objectSelector']).to.deep.equal({ matchExpressions: [{ key: 'canopy.dev/managed-by', operator: 'NotIn', values: ['canopy'] }] });
  });

  it('publishes no mutating webhook for an instance limited to some validating ones, unless asked', () => {
    expect(mutatingWebhookConfiguration({ endpoint: { url: 'https://127.0.0.1:1' }, only: ['workspaces'] })).to.equal(undefined);
    const asked = mutatingWebhookConfiguration({
      endpoint: { url: 'https://127.0.0.1:1' },
      only: ['workspaces'],
      mutating: ['finalizers'],
      mutatingName: 'm',
      objectSelector: { matchLabels: { t: '1' } },
    })!;
    expect(asked.metadata.name).to.equal('m');
    expect(asked.webhooks[0]!['objectSelector']).to.deep.equal({
      matchLabels: { t: '1' },
      matchExpressions: [{ key: 'canopy.dev/managed-by', operator: 'NotIn', values: ['canopy'] }],
    });
  });

  it("names the installation's owner on both configurations, so uninstalling removes them", () => {
    const owner = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'canopy-operator', uid: 'u-1' };
    const options = { endpoint: { url: 'https://127.0.0.1:1' }, owner };
    expect(validatingWebhookConfiguration(options).metadata.ownerReferences).to.deep.equal([owner]);
    expect(mutatingWebhookConfiguration(options)!.metadata.ownerReferences).to.deep.equal([owner]);
    expect(url.metadata).to.not.have.property('ownerReferences');
  });

  it('certifies the url host, or every name of the service', () => {
    expect(certificateHosts({ url: 'https://127.0.0.1:9443' }, [])).to.deep.equal(['127.0.0.1']);
    expect(certificateHosts({ service: { name: 'wh', namespace: 'ns', port: 443 } }, ['extra.example'])).to.deep.equal([
      'wh',
      'wh.ns',
      'wh.ns.svc',
      'wh.ns.svc.cluster.local',
      'extra.example',
    ]);
  });

  it("reads the chart's environment", () => {
    expect(webhookOptionsFromEnv({})).to.deep.equal({});
    expect(
      webhookOptionsFromEnv({
        CANOPY_WEBHOOK_PORT: '9443',
        CANOPY_WEBHOOK_HOST: '0.0.0.0',
        CANOPY_WEBHOOK_SERVICE_NAME: 'canopy-webhook',
        CANOPY_WEBHOOK_SERVICE_PORT: '443',
        CANOPY_WEBHOOK_CERT_FILE: '/certs/tls.crt',
        CANOPY_WEBHOOK_CA_FILE: '/certs/ca.crt',
      }),
    ).to.deep.equal({
      port: 9443,
      host: '0.0.0.0',
      service: { name: 'canopy-webhook', port: 443 },
      certificates: { certFile: '/certs/tls.crt', keyFile: '/certs/tls.key', caFile: '/certs/ca.crt' },
    });
    expect(webhookOptionsFromEnv({ CANOPY_WEBHOOK_CERT_VALIDITY_HOURS: '24' })).to.deep.equal({ certificates: { validityMs: 24 * 3600_000 } });
    // What charts/canopy sets.
    expect(
      webhookOptionsFromEnv({
        CANOPY_WEBHOOK_PORT: '9443',
        CANOPY_WEBHOOK_SERVICE: 'canopy-webhook.canopy.svc',
        CANOPY_WEBHOOK_CERT_DIR: '/nonexistent/certs',
        CANOPY_OWNER_CLUSTERROLE: 'canopy-operator',
      }),
    ).to.deep.equal({
      port: 9443,
      service: { name: 'canopy-webhook', namespace: 'canopy' },
      ownerClusterRole: 'canopy-operator',
      certificates: { certFile: '/nonexistent/certs/tls.crt', keyFile: '/nonexistent/certs/tls.key' },
    });
    expect(() => webhookOptionsFromEnv({ CANOPY_WEBHOOK_PORT: 'abc' })).to.throw('CANOPY_WEBHOOK_PORT=abc');
  });
});
