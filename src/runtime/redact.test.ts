import { expect } from 'chai';
import { redact } from './redact.js';

const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YSJ9.c2lnbmF0dXJlLWJ5dGVz';
const blob = Buffer.from(`${'x'.repeat(10)}random key material 0123456789 ABCDEF`).toString('base64');

describe('runtime/redact', () => {
  it('removes bearer tokens, JWTs and credential fields', () => {
    expect(redact('request failed: Authorization: Bearer abc.def-123')).to.equal('request failed: Authorization: Bearer [redacted]');
    expect(redact(`token rejected: ${jwt} (expired)`)).to.equal('token rejected: [redacted] (expired)');
    expect(redact('  4 |     token: s3cr3t-t0ken\n  5 |     password: "hunter 2"')).to.equal('  4 |     token: [redacted]\n  5 |     password: [redacted]');
    expect(redact('{"client-key-data":"LS0tLS1CRUdJTg"}')).to.equal('{"client-key-data":[redacted]}');
  });

  it('removes PEM blocks, even cut off, and long base64 runs', () => {
    expect(redact('bad key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- here')).to.equal('bad key [redacted] PEM block here');
    expect(redact('quoted: -----BEGIN CERTIFICATE-----\nMIIB')).to.equal('quoted: [redacted] PEM block');
    expect(redact(`data ${blob} end`)).to.equal('data [redacted] end');
  });

  it('removes credentials in a URL but keeps the host', () => {
    expect(redact('cannot reach https://admin:pa55@10.0.0.1:6443 (ECONNREFUSED)')).to.equal('cannot reach https://[redacted]@10.0.0.1:6443 (ECONNREFUSED)');
  });

  it('leaves ordinary messages alone: names, paths, hosts, counts', () => {
    const messages = [
      'cannot reach https://127.0.0.1:40123 (ECONNREFUSED): check that the apiserver runs and the address in the kubeconfig Secret is right',
      'deployments.apps "web" is forbidden: User "system:serviceaccount:canopy-system:canopy-operator" cannot patch resource "deployments" in API group "apps" in the namespace "team-a-shop-frontend-production"',
      '/apis/apps/v1/namespaces/team-a-shop-frontend-production/deployments/web-frontend',
      '2/3 replicas ready; Available=False: MinimumReplicasUnavailable',
      'the kubeconfig in Secret canopy-system/eu-1-kubeconfig key "kubeconfig" is not valid YAML (line 7)',
    ];
    for (const message of messages) expect(redact(message)).to.equal(message);
  });
});
