/**
 * Just enough of the Kubernetes protobuf encoding to read the name of an
 * object a client sends (kubectl creates a Namespace as
 * `application/vnd.kubernetes.protobuf`): the `k8s\0` envelope (an
 * runtime.Unknown whose field 2 is the raw object), then the object's field 1
 * (metadata), then ObjectMeta's field 1 (name) and 2 (generateName).
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  readonly number: number;
  readonly bytes?: Buffer;
}

function readVarint(buf: Buffer, offset: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = offset; i < buf.length; i++) {
    const byte = buf[i]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, i + 1];
    shift += 7n;
    if (shift > 63n) break;
  }
  throw new Error('malformed protobuf varint');
}

/** The top-level fields of one message; only length-delimited ones keep their bytes. */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const [key, next] = readVarint(buf, offset);
    offset = next;
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      offset = readVarint(buf, offset)[1];
      out.push({ number });
    } else if (wire === 1) {
      offset += 8;
      out.push({ number });
    } else if (wire === 5) {
      offset += 4;
      out.push({ number });
    } else if (wire === 2) {
      const [length, start] = readVarint(buf, offset);
      const end = start + Number(length);
      if (end > buf.length) throw new Error('malformed protobuf: field runs past the end');
      out.push({ number, bytes: buf.subarray(start, end) });
      offset = end;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  return out;
}

export function isKubernetesProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** metadata.name and metadata.generateName of a protobuf-encoded object. */
export function protobufObjectName(body: Buffer): { name?: string; generateName?: string } {
  if (!isKubernetesProtobuf(body)) throw new Error('not a Kubernetes protobuf body');
  const raw = fields(body.subarray(4)).find((f) => f.number === 2)?.bytes;
  if (!raw) throw new Error('the protobuf envelope holds no object');
  const metadata = fields(raw).find((f) => f.number === 1)?.bytes;
  if (!metadata) return {};
  const meta = fields(metadata);
  const name = meta.find((f) => f.number === 1)?.bytes?.toString('utf8');
  const generateName = meta.find((f) => f.number === 2)?.bytes?.toString('utf8');
  return { ...(name ? { name } : {}), ...(generateName ? { generateName } : {}) };
}
