import { expect } from 'chai';
import { parseDecision } from './policy-engine-client.js';

describe('policy engine answers', () => {
  it('reads the OPA data-API shape with weights', () => {
    expect(parseDecision('{"result":{"clusters":{"eu-2":{"weight":2},"eu-1":{}}}}')).to.deep.equal({
      allowed: ['eu-1', 'eu-2'],
      weights: { 'eu-1': 1, 'eu-2': 2 },
    });
  });
  it('accepts a list of names', () => {
    expect(parseDecision('{"result":{"clusters":["b","a"]}}')).to.deep.equal({ allowed: ['a', 'b'] });
  });
  it('treats an undefined document as an error, never as allow-all', () => {
    expect(parseDecision('{}')).to.have.property('error').that.contains('no "result"');
  });
  it('rejects malformed answers', () => {
    expect(parseDecision('not json')).to.have.property('error');
    expect(parseDecision('{"result":{"clusters":{"a":{"weight":-1}}}}')).to.have.property('error').that.contains('non-negative');
    expect(parseDecision('{"result":{"clusters":[1]}}')).to.have.property('error');
  });
  it('an empty allow list means nowhere', () => {
    expect(parseDecision('{"result":{"clusters":{}}}')).to.deep.equal({ allowed: [], weights: {} });
  });
});
