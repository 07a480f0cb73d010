import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { targetFingerprint, tenantKubeconfig, type KubeconfigTarget } from './kubeconfig.js';
import { gatewayEndpointFor } from './target.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('logicalcluster kubeconfig target behind the gateway', () => {
  it('points at <url>/clusters/<logical-cluster> with the gateway CA inlined', () => {
    const endpoint = gatewayEndpointFor({ url: 'https://canopy-gateway.canopy-system.svc', caPem: PEM }, 'team-a-dev');
    expect(endpoint.server).to.equal('https://canopy-gateway.canopy-system.svc/clusters/team-a-dev');
    expect(Buffer.from(endpoint.caData ?? '', 'base64').toString()).to.equal(PEM);
    expect(endpoint.insecureSkipTlsVerify).to.equal(undefined);
  });

  it('does not double the slash of a URL that ends in one, and keeps a path prefix', () => {
    expect(gatewayEndpointFor({ url: 'https://gw.example.com/', caPem: PEM }, 'a').server).to.equal('https://gw.example.com/clusters/a');
    expect(gatewayEndpointFor({ url: 'https://lb.example.com/canopy//', caPem: PEM }, 'a').server).to.equal('https://lb.example.com/canopy/clusters/a');
  });

  it('leaves the CA out when the gateway has none of its own (a publicly trusted external URL)', () => {
    const endpoint = gatewayEndpointFor({ url: 'https://gw.example.com', caPem: '' }, 'a');
    expect(endpoint.caData).to.equal(undefined);
    const kc = new KubeConfig();
    kc.loadFromString(tenantKubeconfig({ name: 'a', server: endpoint.server, caData: endpoint.caData, namespace: 'a', user: 'a' }, 't'));
    expect(kc.getCurrentCluster()?.server).to.equal('https://gw.example.com/clusters/a');
    expect(kc.getCurrentCluster()?.caData).to.equal(undefined);
  });

  it('changes the target fingerprint against the direct endpoint, so issued Secrets are re-issued', () => {
    const direct: KubeconfigTarget = { name: 'a', server: 'https://127.0.0.1:6443', caData: 'Q0E=', namespace: 'a', user: 'a' };
    const gw = gatewayEndpointFor({ url: 'https://127.0.0.1:9444', caPem: PEM }, 'a');
    expect(targetFingerprint({ ...direct, server: gw.server, caData: gw.caData })).to.not.equal(targetFingerprint(direct));
    // The same gateway endpoint for a member-bound (Cluster mode) logical cluster gives the same server.
    expect(gatewayEndpointFor({ url: 'https://127.0.0.1:9444', caPem: PEM }, 'a').server).to.equal(gw.server);
  });
});
