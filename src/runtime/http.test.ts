import { expect } from 'chai';
import { MAX_RETRY_AFTER_MS, throttleDelayMs } from './http.js';

describe('throttleDelayMs (429/503 with Retry-After)', () => {
  it('retries a 429 whatever the method: the apiserver rejected it before processing', () => {
    for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']) expect(throttleDelayMs(method, 429, '2'), method).to.equal(2000);
  });

  it('does not retry a 429 without Retry-After or with an unreadable one', () => {
    expect(throttleDelayMs('POST', 429, undefined)).to.equal(undefined);
    expect(throttleDelayMs('GET', 429, 'soon')).to.equal(undefined);
  });

  it('retries a 503 with Retry-After only for idempotent methods', () => {
    expect(throttleDelayMs('GET', 503, '3')).to.equal(3000);
    expect(throttleDelayMs('PUT', 503, '3')).to.equal(3000);
    expect(throttleDelayMs('DELETE', 503, '3')).to.equal(3000);
    expect(throttleDelayMs('POST', 503, '3'), 'a create may have happened').to.equal(undefined);
    expect(throttleDelayMs('PATCH', 503, '3'), 'a patch may have happened').to.equal(undefined);
    expect(throttleDelayMs('GET', 503, undefined), 'a plain 503 is an outage, not throttling').to.equal(undefined);
  });

  it('bounds the wait and reads an HTTP date', () => {
    expect(throttleDelayMs('GET', 429, '86400')).to.equal(MAX_RETRY_AFTER_MS);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(throttleDelayMs('GET', 429, new Date(now + 5000).toUTCString(), now)).to.equal(5000);
    expect(throttleDelayMs('GET', 429, new Date(now - 5000).toUTCString(), now), 'a date in the past means now').to.equal(0);
  });

  it('does not retry other answers', () => {
    for (const status of [200, 400, 404, 409, 500, 502, 504]) expect(throttleDelayMs('GET', status, '1'), String(status)).to.equal(undefined);
  });
});
