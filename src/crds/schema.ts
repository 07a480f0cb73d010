/**
 * Small TypeBox builders for the OpenAPI shapes Kubernetes needs but TypeBox
 * does not emit by itself in a CRD-compatible way: string enums (TypeBox's
 * unions become `anyOf`+`const`, which structural schemas reject), string maps
 * (`additionalProperties`, not `patternProperties`), quantities and
 * free-form JSON.
 */
import { Type, type SchemaOptions, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** One CEL rule in `x-kubernetes-validations`. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** JSONPath-like path (e.g. `.spec.parent`) the error is reported on. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  optionalOldSelf?: boolean;
}

/** Schema options carrying CEL rules. */
export function validations(...rules: ValidationRule[]): { 'x-kubernetes-validations': ValidationRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** A CEL rule that makes a field immutable once set. */
export function immutable(what: string): ValidationRule {
  return { rule: 'self == oldSelf', message: `${what} is immutable` };
}

/** A string restricted to a fixed set of values (`type: string` + `enum`). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A map of string to string, such as labels or `matchLabels`; `maxLength` bounds the values. */
export function StringMap(options: SchemaOptions = {}, maxLength = 63): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ ...options, type: 'object', additionalProperties: { type: 'string', maxLength } });
}

/** A map of string to values of one schema (`additionalProperties`). */
export function MapOf<T>(value: TSchema, options: SchemaOptions = {}): TUnsafe<Record<string, T>> {
  return Type.Unsafe<Record<string, T>>({ ...options, type: 'object', additionalProperties: value });
}

/** The pattern Kubernetes itself publishes for `resource.Quantity`. */
export const QUANTITY_PATTERN = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A `resource.Quantity` (`"500m"`, `"4Gi"`, `2`), encoded the way Kubernetes encodes it (int-or-string). */
export function QuantitySchema(options: SchemaOptions = {}): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({
    ...options,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY_PATTERN,
    'x-kubernetes-int-or-string': true,
  });
}

/** An RFC 3339 timestamp as the API serves it (a string, not a Date). */
export function Timestamp(options: SchemaOptions = {}) {
  return Type.String({ ...options, format: 'date-time' });
}

/** Any JSON value; kept as-is by the apiserver (used for JSON patch `value`). */
export function AnyJson(options: SchemaOptions = {}): TUnsafe<unknown> {
  return Type.Unsafe<unknown>({ ...options, 'x-kubernetes-preserve-unknown-fields': true });
}

/** DNS-1123 label: namespace names and most names Canopy turns into namespaces. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** DNS-1123 subdomain: names of most Kubernetes objects. */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** Label and annotation keys (`prefix/name`). */
export const QUALIFIED_NAME_PATTERN = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
/** Label values (may be empty). */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

/** A DNS-1123 label string (at most 63 characters). */
export function DnsLabel(options: SchemaOptions = {}) {
  return Type.String({ maxLength: 63, pattern: DNS_LABEL_PATTERN, ...options });
}

/** A DNS-1123 subdomain string (at most 253 characters). */
export function DnsSubdomain(options: SchemaOptions = {}) {
  return Type.String({ maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN, ...options });
}
