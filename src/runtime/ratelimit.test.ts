import { expect } from 'chai';
import { FakeClock } from './clock.js';
import { defaultControllerRateLimiter, ExponentialFailureRateLimiter, MaxOfRateLimiter, TokenBucketRateLimiter } from './ratelimit.js';

describe('rate limiters', () => {
  it('backs a failing key off exponentially from 5 ms, capped at 1000 s', () => {
    const limiter = new ExponentialFailureRateLimiter();
    const delays = Array.from({ length: 22 }, () => limiter.when('ns/a'));
    expect(delays.slice(0, 6)).to.deep.equal([5, 10, 20, 40, 80, 160]);
    expect(delays[17]).to.equal(5 * 2 ** 17); // 655.36 s, still under the cap
    expect(delays[18]).to.equal(1_000_000);
    expect(delays[21]).to.equal(1_000_000);
    expect(limiter.retries('ns/a')).to.equal(22);
  });

  it('tracks keys independently and resets a key on forget', () => {
    const limiter = new ExponentialFailureRateLimiter(10, 1000);
    limiter.when('a');
    limiter.when('a');
    expect(limiter.when('b')).to.equal(10);
    expect(limiter.when('a')).to.equal(40);
    limiter.forget('a');
    expect(limiter.retries('a')).to.equal(0);
    expect(limiter.when('a')).to.equal(10);
  });

  it('token bucket allows the burst at once, then spaces retries at 1/qps', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter(10, 100, clock);
    const burst = Array.from({ length: 100 }, () => bucket.when());
    expect(burst.every((d) => d === 0)).to.equal(true);
    expect(bucket.when()).to.be.closeTo(100, 1e-6);
    expect(bucket.when()).to.be.closeTo(200, 1e-6);
    clock.advance(1000); // 10 tokens refill; 2 were already owed
    expect(bucket.when()).to.be.closeTo(0, 1e-6);
  });

  it('the default controller limiter takes the longer of backoff and bucket', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter({ qps: 1, burst: 1 }, clock);
    expect(limiter.when('a')).to.equal(5); // bucket has its one token; backoff says 5 ms
    expect(limiter.when('b')).to.be.closeTo(1000, 1e-6); // bucket empty: wait a second
    const max = new MaxOfRateLimiter(new ExponentialFailureRateLimiter(1, 8), new ExponentialFailureRateLimiter(3, 100));
    expect([max.when('k'), max.when('k'), max.when('k'), max.when('k')]).to.deep.equal([3, 6, 12, 24]);
    expect(max.retries('k')).to.equal(4);
  });
});
