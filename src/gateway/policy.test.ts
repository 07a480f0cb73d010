import { expect } from 'chai';
import { checkNamespace, decideUnscoped, routeOf, suffixFor } from './policy.js';
import { GatewayError } from './status.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);
const segs = (path: string): string[] => path.split('/').filter(Boolean);

function refusal(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return { code: err.code, reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('gateway policy', () => {
  it('classifies discovery, info, namespaces, namespaced and unscoped requests', () => {
    expect(routeOf('GET', segs('/api'), q())).to.deep.equal({ kind: 'discovery' });
    expect(routeOf('GET', segs('/apis/apps/v1'), q())).to.deep.equal({ kind: 'discovery' });
    expect(routeOf('GET', segs('/openapi/v3/apis/apps/v1'), q())).to.deep.equal({ kind: 'discovery' });
    expect(routeOf('GET', segs('/version'), q())).to.deep.equal({ kind: 'info' });
    expect(routeOf('GET', segs('/api/v1/namespaces'), q('watch=true'))).to.deep.equal({ kind: 'namespaces', verb: 'watch' });
    expect(routeOf('DELETE', segs('/api/v1/namespaces/a-b'), q())).to.deep.equal({ kind: 'namespaces', verb: 'delete', name: 'a-b' });
    expect(routeOf('POST', segs('/api/v1/namespaces/a/pods/p/exec'), q())).to.deep.equal({
      kind: 'namespaced',
      verb: 'create',
      target: { group: '', version: 'v1', resource: 'pods', namespace: 'a', name: 'p', subresource: 'exec' },
    });
    expect(routeOf('GET', segs('/apis/apps/v1/deployments'), q('watch=1'))).to.deep.equal({
      kind: 'unscoped',
      verb: 'watch',
      target: { group: 'apps', version: 'v1', resource: 'deployments' },
    });
  });

  it('refuses writes on discovery, the namespace subresources and unknown roots', () => {
    expect(refusal(() => routeOf('POST', segs('/apis'), q())).code).to.equal(405);
    expect(refusal(() => routeOf('PUT', segs('/api/v1/namespaces/a/finalize'), q()))).to.include({ code: 403, reason: 'Forbidden' });
    expect(refusal(() => routeOf('GET', segs('/metrics'), q())).code).to.equal(404);
    expect(refusal(() => routeOf('GET', segs('/api/v1/watch/pods'), q())).code).to.equal(404);
  });

  it('fans out list and watch of namespaced kinds across all namespaces, refuses other verbs there', () => {
    const pods = { group: '', version: 'v1', resource: 'pods' };
    expect(decideUnscoped('shop', 'list', pods, true)).to.deep.equal({ action: 'fanout' });
    expect(decideUnscoped('shop', 'watch', pods, true)).to.deep.equal({ action: 'fanout' });
    expect(refusal(() => decideUnscoped('shop', 'deletecollection', pods, true)).code).to.equal(403);
  });

  it('serves the read-only classes, forwards CRD reads and self reviews, refuses the rest of cluster scope with a reason', () => {
    expect(decideUnscoped('shop', 'list', { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' }, false)).to.deep.equal({
      action: 'operator-read',
    });
    expect(
      decideUnscoped('shop', 'get', { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', name: 'x' }, false),
    ).to.deep.equal({
      action: 'forward',
    });
    expect(decideUnscoped('shop', 'create', { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews' }, false)).to.deep.equal({
      action: 'forward',
    });
    const write = refusal(() => decideUnscoped('shop', 'delete', { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', name: 'fast' }, false));
    expect(write.code).to.equal(403);
    expect(write.message).to.contain('read-only inside logical cluster shop');
    const nodes = refusal(() => decideUnscoped('shop', 'list', { group: '', version: 'v1', resource: 'nodes' }, false));
    expect(nodes).to.include({ code: 403, reason: 'Forbidden' });
    expect(nodes.message).to.contain('nodes is cluster-scoped, outside logical cluster shop');
    expect(refusal(() => decideUnscoped('shop', 'list', { group: 'x.io', version: 'v1', resource: 'nothings' }, undefined)).code).to.equal(404);
  });

  it('answers 404 for a namespace outside the logical cluster', () => {
    expect(() => checkNamespace('shop-web', ['shop-web'])).not.to.throw();
    expect(refusal(() => checkNamespace('blog', ['shop-web']))).to.deep.include({ code: 404, message: 'namespaces "blog" not found' });
  });

  it('names namespaces <lc>-<suffix> and says so when a name breaks the rule', () => {
    expect(suffixFor('shop', 'shop-cache')).to.equal('cache');
    for (const bad of ['cache', 'shop-', 'shop', 'blog-cache', `shop-${'x'.repeat(60)}`]) {
      const r = refusal(() => suffixFor('shop', bad));
      expect(r.code, bad).to.equal(422);
      expect(r.message).to.contain('named shop-<suffix>');
    }
  });
});
