/**
 * Turns a kind's TypeBox spec/status schemas into a CustomResourceDefinition
 * manifest in the wire format the apiserver and `kubectl apply` expect.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { GROUP, VERSION } from './common.js';
import { LABEL_PART_OF } from './labels.js';
import { validations, type ValidationRule } from './schema.js';

/** A JSON schema node as it appears in a CRD (wire format, `x-kubernetes-*` keys spelled out). */
export interface JSONSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps | boolean;
  anyOf?: JSONSchemaProps[];
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  [keyword: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  /** 0 shows in `kubectl get`; higher only with `-o wide`. */
  priority?: number;
}

/** A CustomResourceDefinition in wire format (what config/crd holds). */
export interface CustomResourceDefinitionManifest {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Cluster' | 'Namespaced';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

export interface CustomResourceOptions {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Cluster' | 'Namespaced';
  description: string;
  spec: TSchema;
  status: TSchema;
  /** Whether `spec` must be given; if not, it defaults to `{}` so nested defaults still apply. */
  specRequired: boolean;
  printerColumns: PrinterColumn[];
  /** Restrictions on metadata.name (the only metadata field a CRD schema may restrict). */
  name?: TSchema;
  /** CEL rules on the whole object (may use metadata.name). */
  rules?: ValidationRule[];
}

/** Every Canopy kind is listed by `kubectl get canopy`. */
export const CATEGORY = 'canopy';

const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** Printer column showing the status of one condition. */
export function conditionColumn(type: string, name = type): PrinterColumn {
  return { name, type: 'string', jsonPath: `.status.conditions[?(@.type=="${type}")].status` };
}

export function customResourceDefinition(options: CustomResourceOptions): CustomResourceDefinitionManifest {
  const metadata = options.name ? Type.Object({ name: Type.Optional(options.name) }) : Type.Unsafe({ type: 'object' });
  const root = Type.Object(
    {
      apiVersion: Type.Optional(Type.String({ description: 'APIVersion of this object.' })),
      kind: Type.Optional(Type.String({ description: 'Kind of this object.' })),
      metadata: Type.Optional(metadata),
      spec: options.specRequired ? options.spec : Type.Optional({ ...options.spec, default: {} }),
      status: Type.Optional(options.status),
    },
    { description: options.description, ...(options.rules?.length ? validations(...options.rules) : {}) },
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${options.plural}.${GROUP}`, labels: { [LABEL_PART_OF]: 'canopy' } },
    spec: {
      group: GROUP,
      names: {
        kind: options.kind,
        listKind: `${options.kind}List`,
        plural: options.plural,
        singular: options.singular,
        shortNames: options.shortNames,
        categories: [CATEGORY],
      },
      scope: options.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: toWire(root) },
          subresources: { status: {} },
          additionalPrinterColumns: [...options.printerColumns, AGE_COLUMN],
        },
      ],
    },
  };
}

/**
 * Plain JSON of a TypeBox schema: drops TypeBox's symbol-keyed metadata and
 * orders keys alphabetically so generated files are stable across edits that
 * only reorder code.
 */
function toWire(schema: TSchema): JSONSchemaProps {
  return sortKeys(JSON.parse(JSON.stringify(schema))) as JSONSchemaProps;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
