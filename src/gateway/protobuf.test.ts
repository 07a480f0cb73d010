import { expect } from 'chai';
import { isKubernetesProtobuf, protobufObjectName } from './protobuf.js';

function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    bytes.push(b);
  } while (n);
  return Buffer.from(bytes);
}
const bytesField = (num: number, value: Buffer): Buffer => Buffer.concat([varint((num << 3) | 2), varint(value.length), value]);
const str = (num: number, s: string): Buffer => bytesField(num, Buffer.from(s));

/** What kubectl sends for `create namespace shop-cache`: k8s\0 + Unknown{typeMeta, raw: Namespace{metadata{name}, spec, status}}. */
function namespaceBody(name: string): Buffer {
  const meta = Buffer.concat([str(1, name), Buffer.from([0x28, 0x00]) /* field 5 varint */]);
  const namespace = Buffer.concat([bytesField(1, meta), bytesField(2, Buffer.alloc(0)), bytesField(3, Buffer.alloc(0))]);
  const typeMeta = Buffer.concat([str(1, 'v1'), str(2, 'Namespace')]);
  const unknown = Buffer.concat([bytesField(1, typeMeta), bytesField(2, namespace), str(3, ''), str(4, '')]);
  return Buffer.concat([Buffer.from('k8s\0', 'binary'), unknown]);
}

describe('gateway protobuf reading', () => {
  it('reads the name of a protobuf-encoded object', () => {
    const body = namespaceBody('shop-cache');
    expect(isKubernetesProtobuf(body)).to.equal(true);
    expect(protobufObjectName(body)).to.deep.equal({ name: 'shop-cache' });
  });

  it('refuses what is not the Kubernetes envelope or runs past its end', () => {
    expect(isKubernetesProtobuf(Buffer.from('{"kind":"Namespace"}'))).to.equal(false);
    expect(() => protobufObjectName(Buffer.from('{}'))).to.throw(/not a Kubernetes protobuf/);
    const truncated = namespaceBody('shop-cache').subarray(0, 12);
    expect(() => protobufObjectName(truncated)).to.throw(/malformed|no object/);
  });
});
