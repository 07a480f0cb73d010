/**
 * `/openapi/v2` for clients that read only protobuf (client-go's
 * OpenAPISchema, hence kubectl's and Helm's v2 lookups): the apiserver's own
 * protobuf document (gnostic openapi_v2.Document) with the same paths and
 * definitions removed as from the JSON one. The JSON document decides what
 * stays (filterOpenApiV2); this only removes entries by name, at the wire
 * level, so every kept byte is the apiserver's.
 *
 * Wire layout read (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto):
 * Document.paths = 8 (Paths), Document.definitions = 9 (Definitions);
 * Paths.path = 2 (NamedPathItem); Definitions.additional_properties = 1
 * (NamedSchema); NamedPathItem.name = NamedSchema.name = 1.
 */

/** The media type of the protobuf OpenAPI v2 document. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const DOCUMENT_PATHS = 8;
const DOCUMENT_DEFINITIONS = 9;
const PATHS_PATH = 2;
const DEFINITIONS_SCHEMA = 1;
const NAMED_NAME = 1;

interface WireField {
  readonly number: number;
  readonly wireType: number;
  /** The whole field, tag included. */
  readonly raw: Buffer;
  /** The payload of a length-delimited field. */
  readonly payload?: Buffer;
}

function readVarint(buf: Buffer, offset: number): [number, number] {
  let result = 0;
  let multiplier = 1;
  for (let i = offset; i < buf.length && i < offset + 10; i++) {
    const byte = buf[i]!;
    result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return [result, i + 1];
    multiplier *= 128;
  }
  throw new Error('malformed protobuf varint in the OpenAPI v2 document');
}

function writeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function parse(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let i = 0;
  while (i < buf.length) {
    const start = i;
    const [key, afterKey] = readVarint(buf, i);
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    i = afterKey;
    let payload: Buffer | undefined;
    switch (wireType) {
      case 0:
        i = readVarint(buf, i)[1];
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const [length, afterLength] = readVarint(buf, i);
        payload = buf.subarray(afterLength, afterLength + length);
        i = afterLength + length;
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${wireType} in the OpenAPI v2 document`);
    }
    if (i > buf.length) throw new Error('truncated protobuf field in the OpenAPI v2 document');
    out.push({ number, wireType, raw: buf.subarray(start, i), ...(payload ? { payload } : {}) });
  }
  return out;
}

function lengthDelimited(number: number, payload: Buffer): Buffer {
  return Buffer.concat([writeVarint(number * 8 + 2), writeVarint(payload.length), payload]);
}

/** The `name` (field 1) of a NamedPathItem or NamedSchema. */
function nameOf(entry: Buffer): string | undefined {
  const field = parse(entry).find((f) => f.number === NAMED_NAME && f.wireType === 2);
  return field?.payload?.toString('utf8');
}

/** A message with its repeated named entries (`entryField`) kept only when `keep` names them. */
function narrowNamed(message: Buffer, entryField: number, keep: ReadonlySet<string>): Buffer {
  const kept = parse(message).filter((f) => {
    if (f.number !== entryField || !f.payload) return true;
    const name = nameOf(f.payload);
    return name !== undefined && keep.has(name);
  });
  return Buffer.concat(kept.map((f) => f.raw));
}

/**
 * The protobuf document with only the paths and definitions `narrowed` (the
 * JSON document after filterOpenApiV2) still has.
 */
export function filterOpenApiV2Protobuf(
  document: Buffer,
  narrowed: { readonly paths?: Readonly<Record<string, unknown>>; readonly definitions?: Readonly<Record<string, unknown>> },
): Buffer {
  const paths = new Set(Object.keys(narrowed.paths ?? {}));
  const definitions = new Set(Object.keys(narrowed.definitions ?? {}));
  const parts = parse(document).map((f) => {
    if (f.number === DOCUMENT_PATHS && f.payload) return lengthDelimited(DOCUMENT_PATHS, narrowNamed(f.payload, PATHS_PATH, paths));
    if (f.number === DOCUMENT_DEFINITIONS && f.payload) return lengthDelimited(DOCUMENT_DEFINITIONS, narrowNamed(f.payload, DEFINITIONS_SCHEMA, definitions));
    return f.raw;
  });
  return Buffer.concat(parts);
}

/** The path and definition names of a protobuf OpenAPI v2 document (tests, and checks of what a client receives). */
export function openApiV2ProtobufNames(document: Buffer): { paths: string[]; definitions: string[] } {
  const top = parse(document);
  const names = (field: number, entry: number): string[] =>
    top
      .filter((f) => f.number === field && f.payload)
      .flatMap((f) => parse(f.payload!).filter((e) => e.number === entry && e.payload))
      .map((e) => nameOf(e.payload!) ?? '');
  return { paths: names(DOCUMENT_PATHS, PATHS_PATH), definitions: names(DOCUMENT_DEFINITIONS, DEFINITIONS_SCHEMA) };
}
