import { expect } from 'chai';
import { gatewayOptionsFromEnv } from './index.js';

describe('gateway options from the environment (as the chart sets them)', () => {
  it('is empty when nothing is set, so every default applies', () => {
    expect(gatewayOptionsFromEnv({})).to.deep.equal({});
  });

  it('reads address, port, external URL, Service names and limits', () => {
    expect(
      gatewayOptionsFromEnv({
        CANOPY_GATEWAY_HOST: '0.0.0.0',
        CANOPY_GATEWAY_PORT: '6443',
        CANOPY_GATEWAY_EXTERNAL_URL: 'https://canopy-gateway.canopy-system.svc',
        CANOPY_GATEWAY_SERVICE_DNS_NAMES: 'canopy-gateway, canopy-gateway.canopy-system.svc ,',
        CANOPY_GATEWAY_MAX_BODY_BYTES: '1048576',
        CANOPY_GATEWAY_TOKEN_REVIEW_CACHE_MS: '5000',
      }),
    ).to.deep.equal({
      host: '0.0.0.0',
      port: 6443,
      externalUrl: 'https://canopy-gateway.canopy-system.svc',
      serviceDnsNames: ['canopy-gateway', 'canopy-gateway.canopy-system.svc'],
      maxBodyBytes: 1048576,
      tokenReviewCacheMs: 5000,
    });
  });

  it('takes a provided certificate over a generated one, and a generated one from its Secret and validity', () => {
    expect(gatewayOptionsFromEnv({ CANOPY_GATEWAY_CERT_FILE: '/tls/gw.crt', CANOPY_GATEWAY_CERT_SECRET: 'ignored' })).to.deep.equal({
      certificates: { certFile: '/tls/gw.crt', keyFile: '/tls/gw.key' },
    });
    expect(gatewayOptionsFromEnv({ CANOPY_GATEWAY_CERT_SECRET: 'gw-tls', CANOPY_GATEWAY_CERT_VALIDITY_HOURS: '48' })).to.deep.equal({
      certificates: { secretName: 'gw-tls', validityMs: 48 * 3600_000 },
    });
  });

  it('refuses a number that is not one, naming the variable', () => {
    expect(() => gatewayOptionsFromEnv({ CANOPY_GATEWAY_PORT: 'https' })).to.throw('CANOPY_GATEWAY_PORT=https is not a non-negative number');
  });
});
