import { expect } from 'chai';
import { Backoff, nextAfterWatch, watchTimeoutSeconds } from './backoff.js';
import { ApiError } from './errors.js';

describe('informer reconnect decisions', () => {
  it('relists only after 410 Gone, from a status code or an ERROR event', () => {
    expect(nextAfterWatch({ error: new ApiError(410, { reason: 'Expired' }, 'watch'), events: 3, durationMs: 10 })).to.equal('relist');
    expect(nextAfterWatch({ error: Object.assign(new Error('Gone'), { statusCode: 410 }), events: 0, durationMs: 10 })).to.equal('relist');
  });

  it('resumes from the same resourceVersion after a backoff when the connection failed', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect(nextAfterWatch({ error: refused, events: 0, durationMs: 2 })).to.equal('backoff-rewatch');
    expect(nextAfterWatch({ error: new ApiError(500, undefined, 'watch'), events: 0, durationMs: 2 })).to.equal('backoff-rewatch');
    expect(nextAfterWatch({ error: new ApiError(429, undefined, 'watch'), events: 0, durationMs: 2 })).to.equal('backoff-rewatch');
  });

  it('resumes at once after a normal end, but backs off after an instant empty one', () => {
    expect(nextAfterWatch({ events: 12, durationMs: 300_000 })).to.equal('rewatch');
    expect(nextAfterWatch({ events: 0, durationMs: 300_000 })).to.equal('rewatch');
    expect(nextAfterWatch({ events: 0, durationMs: 20 })).to.equal('backoff-rewatch');
  });

  it('backs off from 800 ms doubling to 30 s, with bounded jitter, and resets', () => {
    const backoff = new Backoff({ random: () => 0 });
    expect(Array.from({ length: 8 }, () => backoff.next())).to.deep.equal([800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    backoff.reset();
    expect(backoff.next()).to.equal(800);
    const jittered = new Backoff({ random: () => 1, jitter: 0.1 });
    expect(jittered.next()).to.be.closeTo(880, 1e-9);
  });

  it('spreads watch timeouts over 5 to 10 minutes', () => {
    expect(watchTimeoutSeconds(() => 0)).to.equal(300);
    expect(watchTimeoutSeconds(() => 0.999)).to.equal(599);
  });
});
