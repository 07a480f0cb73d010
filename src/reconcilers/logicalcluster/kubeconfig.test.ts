import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { targetFingerprint, tenantKubeconfig, tokenRefresh, type KubeconfigTarget } from './kubeconfig.js';

const target: KubeconfigTarget = {
  name: 'shop',
  server: 'https://127.0.0.1:6443',
  caData: Buffer.from('PEM').toString('base64'),
  namespace: 'shop-web',
  user: 'system:serviceaccount:shop-web:shop',
};

describe('logicalcluster kubeconfig', () => {
  it('is a kubeconfig client-node reads, with the token and the default namespace', () => {
    const kc = new KubeConfig();
    kc.loadFromString(tenantKubeconfig(target, 'tok'));
    expect(kc.getCurrentCluster()?.server).to.equal('https://127.0.0.1:6443');
    expect(kc.getCurrentCluster()?.caData).to.equal(target.caData);
    expect(kc.getCurrentUser()?.token).to.equal('tok');
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).to.equal('shop-web');
  });

  it('reads back the same through a YAML parser, whatever the values hold', async () => {
    const { parse } = await import('yaml');
    const odd = { ...target, name: 'a: "b" # c', server: 'https://[::1]:6443/x?y=#z', insecureSkipTlsVerify: true };
    const doc = parse(tenantKubeconfig(odd, "to'k\\en")) as {
      clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
      users: Array<{ user: { token: string } }>;
      'current-context': string;
    };
    expect(doc.clusters[0]).to.deep.equal({
      name: odd.name,
      cluster: { server: odd.server, 'certificate-authority-data': odd.caData, 'insecure-skip-tls-verify': true },
    });
    expect(doc.users[0]!.user.token).to.equal("to'k\\en");
    expect(doc['current-context']).to.equal(odd.name);
  });

  it('fingerprints where it points, not the token', () => {
    expect(targetFingerprint(target)).to.equal(targetFingerprint({ ...target }));
    expect(targetFingerprint(target)).not.to.equal(targetFingerprint({ ...target, server: 'https://10.0.0.1:6443' }));
    expect(targetFingerprint(target)).not.to.equal(targetFingerprint({ ...target, namespace: 'shop' }));
  });

  it('renews when missing, retargeted, or with less than a third of the lifetime left', () => {
    const now = new Date('2024-01-01T12:00:00Z');
    const fp = targetFingerprint(target);
    expect(tokenRefresh(now, {}, fp, 3600)).to.include({ renew: true, why: 'missing' });
    expect(tokenRefresh(now, { expiresAt: new Date('2024-01-01T13:00:00Z'), fingerprint: 'old' }, fp, 3600)).to.include({ renew: true, why: 'retargeted' });
    expect(tokenRefresh(now, { expiresAt: new Date('2024-01-01T12:19:00Z'), fingerprint: fp }, fp, 3600)).to.include({ renew: true, why: 'expiring' });
    const fresh = tokenRefresh(now, { expiresAt: new Date('2024-01-01T12:50:00Z'), fingerprint: fp }, fp, 3600);
    expect(fresh.renew).to.equal(false);
    expect(fresh.requeueAfterMs).to.equal(30 * 60_000); // 50 min left, renew at 20 min left
  });
});
