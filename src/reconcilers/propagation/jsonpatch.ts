import { cloneJson } from './portable.js';

/**
 * RFC 6902 JSON Patch, the subset PropagatedObject overrides use (add,
 * remove, replace) plus `test`, on plain JSON values. Patches never mutate
 * their input: overrides are applied per cluster to the same template.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonPatchOp {
  readonly op: 'add' | 'remove' | 'replace' | 'test' | string;
  readonly path: string;
  readonly value?: unknown;
}

/** A patch that cannot be applied; the message names the operation and why. */
export class JsonPatchError extends Error {
  constructor(
    readonly index: number,
    readonly op: JsonPatchOp,
    why: string,
  ) {
    super(`patch ${index} (${op.op} ${op.path}): ${why}`);
    this.name = 'JsonPatchError';
  }
}

/** Splits a JSON pointer into unescaped reference tokens (`~1` is `/`, `~0` is `~`). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

type Container = JsonValue[] | { [key: string]: JsonValue };

function isObject(v: unknown): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i < length || (allowEnd && i === length) ? i : undefined;
}

/** Deep structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Applies the operations in order to a deep copy of `document` and returns
 * it; throws {@link JsonPatchError} on the first operation that does not apply
 * (the document is then left as it was, as RFC 6902 requires).
 */
export function applyJsonPatch<T>(document: T, ops: readonly JsonPatchOp[]): T {
  let doc = cloneJson(document) as unknown as JsonValue;
  for (const [index, op] of ops.entries()) {
    const fail = (why: string): never => {
      throw new JsonPatchError(index, op, why);
    };
    let tokens: string[];
    try {
      tokens = parsePointer(op.path);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (op.op !== 'remove' && op.op !== 'add' && op.op !== 'replace' && op.op !== 'test') fail(`unsupported operation "${op.op}"`);
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && op.value === undefined) fail('a value is required');
    const value = op.value === undefined ? undefined : cloneJson(op.value as JsonValue);
    if (tokens.length === 0) {
      // The whole document.
      if (op.op === 'remove') fail('cannot remove the whole document');
      if (op.op === 'test') {
        if (!jsonEqual(doc, value)) fail('value differs');
        continue;
      }
      doc = value as JsonValue;
      continue;
    }
    let parent: JsonValue = doc;
    for (let i = 0; i < tokens.length - 1; i++) {
      const t = tokens[i]!;
      if (Array.isArray(parent)) {
        const at = arrayIndex(t, parent.length, false);
        if (at === undefined) fail(`no array element "${t}" at /${tokens.slice(0, i).join('/')}`);
        parent = parent[at!]!;
      } else if (isObject(parent) && Object.hasOwn(parent, t)) {
        parent = parent[t]!;
      } else {
        fail(`path /${tokens.slice(0, i + 1).join('/')} does not exist`);
      }
    }
    const last = tokens[tokens.length - 1]!;
    if (!Array.isArray(parent) && !isObject(parent)) fail(`/${tokens.slice(0, -1).join('/')} is not an object or array`);
    applyAt(parent as Container, last, op.op, value, fail);
  }
  return doc as unknown as T;
}

function applyAt(parent: Container, key: string, op: string, value: JsonValue | undefined, fail: (why: string) => never): void {
  if (Array.isArray(parent)) {
    const at = arrayIndex(key, parent.length, op === 'add');
    if (at === undefined) fail(`array index "${key}" is out of range (length ${parent.length})`);
    switch (op) {
      case 'add':
        parent.splice(at!, 0, value as JsonValue);
        return;
      case 'remove':
        parent.splice(at!, 1);
        return;
      case 'replace':
        parent[at!] = value as JsonValue;
        return;
      case 'test':
        if (!jsonEqual(parent[at!], value)) fail('value differs');
        return;
    }
    return;
  }
  const present = Object.hasOwn(parent, key);
  switch (op) {
    case 'add':
      parent[key] = value as JsonValue;
      return;
    case 'remove':
      if (!present) fail(`member "${key}" does not exist`);
      delete parent[key];
      return;
    case 'replace':
      if (!present) fail(`member "${key}" does not exist (use add)`);
      parent[key] = value as JsonValue;
      return;
    case 'test':
      if (!present || !jsonEqual(parent[key], value)) fail('value differs');
      return;
  }
}
