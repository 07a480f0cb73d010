import { expect } from 'chai';
import { parseKubeconfigDocument } from './kubeconfig.js';
import { checkMemberKubeconfig, KubeconfigRefusedError, refusedKubeconfigFields } from './member-kubeconfig.js';

function doc(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443' }): Record<string, unknown> {
  return {
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  };
}

describe('runtime/member-kubeconfig', () => {
  it('accepts inline credentials', () => {
    expect(refusedKubeconfigFields(doc({ token: 't' }, { server: 'https://h', 'certificate-authority-data': 'Q0E=' }))).to.deep.equal([]);
    expect(refusedKubeconfigFields(doc({ 'client-certificate-data': 'Q0U=', 'client-key-data': 'S0U=' }))).to.deep.equal([]);
    expect(refusedKubeconfigFields({})).to.deep.equal([]);
  });

  it('names every field that runs a program or reads a file', () => {
    expect(refusedKubeconfigFields(doc({ exec: { command: 'sh', args: ['-c', 'id'] } }))).to.deep.equal(['users[0].user.exec']);
    expect(refusedKubeconfigFields(doc({ 'auth-provider': { name: 'oidc' } }))).to.deep.equal(['users[0].user.auth-provider']);
    expect(refusedKubeconfigFields(doc({ tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }))).to.deep.equal(['users[0].user.tokenFile']);
    expect(
      refusedKubeconfigFields(
        doc({ 'client-certificate': '/etc/c.pem', 'client-key': '/etc/k.pem' }, { server: 'https://h', 'certificate-authority': '/etc/ca.pem' }),
      ),
    ).to.deep.equal(['clusters[0].cluster.certificate-authority', 'users[0].user.client-certificate', 'users[0].user.client-key']);
    expect(refusedKubeconfigFields(doc({ 'some-future-file': '/etc/x' }))).to.deep.equal(['users[0].user.some-future-file']);
    // An unused entry is refused too: the Secret should hold nothing the operator would not use.
    const two = doc({ token: 't' });
    (two['users'] as unknown[]).push({ name: 'other', user: { exec: { command: 'x' } } });
    expect(refusedKubeconfigFields(two)).to.deep.equal(['users[1].user.exec']);
  });

  it('refuses with a message naming the field and the setting, unless plugins are allowed', () => {
    const withExec = doc({ exec: { command: 'sh' } });
    expect(() => checkMemberKubeconfig(withExec, true)).to.not.throw();
    try {
      checkMemberKubeconfig(withExec, false);
      expect.fail('refused');
    } catch (err) {
      expect(err).to.be.instanceOf(KubeconfigRefusedError);
      expect((err as Error).message).to.equal(
        'uses users[0].user.exec, which runs a program inside the operator: member kubeconfigs must carry their credentials inline (a bearer token or client certificate and key data, and the CA data), or the installation must allow plugins (CANOPY_ALLOW_MEMBER_KUBECONFIG_PLUGINS=true)',
      );
    }
    expect(() => checkMemberKubeconfig(doc({ tokenFile: '/t' }), false)).to.throw(/uses users\[0\]\.user\.tokenFile, which reads a file/);
  });

  it('reduces a YAML error to its line, never quoting the text', () => {
    const text = 'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: FAKE-TOKEN-0123456789\n   bad: [\n';
    try {
      parseKubeconfigDocument(text, 'the kubeconfig in Secret ns/s key "kubeconfig"');
      expect.fail('parse error');
    } catch (err) {
      expect((err as Error).message).to.equal('the kubeconfig in Secret ns/s key "kubeconfig": not valid YAML (line 6)');
      expect((err as Error).message).to.not.contain('FAKE-TOKEN');
    }
  });
});
