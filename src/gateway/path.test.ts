import { expect } from 'chai';
import { parseGatewayPath } from './path.js';

describe('gateway path parsing', () => {
  it('splits the logical cluster from the apiserver path', () => {
    const parsed = parseGatewayPath('/clusters/shop/api/v1/namespaces/shop-web/pods');
    expect(parsed).to.deep.equal({
      ok: true,
      cluster: 'shop',
      segments: ['api', 'v1', 'namespaces', 'shop-web', 'pods'],
      rawRest: '/api/v1/namespaces/shop-web/pods',
    });
  });

  it('serves the root of a logical cluster with or without a trailing slash', () => {
    expect(parseGatewayPath('/clusters/shop')).to.deep.include({ ok: true, segments: [], rawRest: '/' });
    expect(parseGatewayPath('/clusters/shop/')).to.deep.include({ ok: true, segments: [], rawRest: '/' });
  });

  it('refuses dot segments instead of normalizing them (no /clusters/a/../b)', () => {
    for (const path of ['/clusters/a/../b/api', '/clusters/a/%2e%2e/b/api', '/clusters/a/./api', '/clusters/a/api/%2E']) {
      expect(parseGatewayPath(path), path).to.deep.include({ ok: false, code: 400 });
    }
  });

  it('refuses empty segments and encoded slashes or backslashes', () => {
    for (const path of ['/clusters//a', '/clusters/a//api', '/clusters/a/api/v1/namespaces/a%2Fb/pods', '/clusters/a/api%5cv1', '/clusters/a/api/%zz']) {
      expect(parseGatewayPath(path), path).to.deep.include({ ok: false, code: 400 });
    }
  });

  it('answers 404 for paths outside /clusters/<name> and for names no logical cluster can have', () => {
    expect(parseGatewayPath('/api/v1/pods')).to.deep.include({ ok: false, code: 404 });
    expect(parseGatewayPath('/clusters/Shop/api')).to.deep.include({ ok: false, code: 404 });
    expect(parseGatewayPath('/clusters/a_b/api')).to.deep.include({ ok: false, code: 404 });
  });

  it('decodes each segment exactly once', () => {
    const parsed = parseGatewayPath('/clusters/a/api/v1/namespaces/a/pods/p%253A');
    expect(parsed.ok && parsed.segments.at(-1)).to.equal('p%3A');
  });
});
