/**
 * Kubernetes resource quantities ("500m", "2", "1Gi", "1e3", "1.5G"), exact.
 *
 * Values are held as a bigint count of nano-units, the finest resolution
 * apimachinery's resource.Quantity keeps: like ParseQuantity, a non-zero value
 * finer than 1n is rounded away from zero to the next nano-unit, so "0.1n"
 * and "1n" are equal here as they are in the API server. Nano rather than
 * milli so that "1u" or "250n" (legal, if rare) compare exactly instead of
 * silently collapsing to 1m. No floating point anywhere: quota decisions must
 * not depend on binary rounding.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in units of 10^-9. */
  readonly nanos: bigint;
  /** The notation it was written in, used when printing it back. */
  readonly format: QuantityFormat;
}

export class QuantityParseError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid quantity "${input}": ${reason}`);
    this.name = 'QuantityParseError';
  }
}

const NANO = 1_000_000_000n;

const DECIMAL_SUFFIX_EXPONENT: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX_POWER: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

// An exponent this large is a typo, not a resource amount; refusing it keeps a
// hostile "1e999999999" from allocating a gigantic bigint.
const MAX_EXPONENT = 64;

const QUANTITY_PATTERN = /^([+-]?)(\d+\.?\d*|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE])([+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/;

/** Parses a quantity string or a finite number; throws QuantityParseError. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberToQuantityText(input) : input.trim();
  const match = QUANTITY_PATTERN.exec(text);
  if (!match) throw new QuantityParseError(text, 'expected <number><suffix> such as 500m, 2, 1Gi, 1e3');
  const [, sign, number, binarySuffix, exponentMark, exponentDigits, decimalSuffix] = match;
  const [whole = '', fraction = ''] = number!.split('.');
  const digits = BigInt(whole + fraction || '0');
  // value = digits * 10^(-fraction.length) * 10^decimalExponent * 2^binaryPower
  let decimalExponent = -fraction.length;
  let binaryPower = 0;
  let format: QuantityFormat = 'DecimalSI';
  if (binarySuffix) {
    binaryPower = BINARY_SUFFIX_POWER[binarySuffix]!;
    format = 'BinarySI';
  } else if (exponentMark) {
    const exponent = Number(exponentDigits);
    if (Math.abs(exponent) > MAX_EXPONENT) throw new QuantityParseError(text, `exponent beyond ±${MAX_EXPONENT}`);
    decimalExponent += exponent;
    format = 'DecimalExponent';
  } else {
    decimalExponent += DECIMAL_SUFFIX_EXPONENT[decimalSuffix ?? '']!;
  }
  let numerator = digits * 2n ** BigInt(binaryPower);
  let denominator = 1n;
  const nanoExponent = decimalExponent + 9;
  if (nanoExponent >= 0) numerator *= 10n ** BigInt(nanoExponent);
  else denominator = 10n ** BigInt(-nanoExponent);
  let nanos = numerator / denominator;
  if (nanos * denominator !== numerator) nanos += 1n; // round up to the next representable nano
  return { nanos: sign === '-' ? -nanos : nanos, format };
}

/** parseQuantity that returns undefined instead of throwing. */
export function tryParseQuantity(input: string | number): Quantity | undefined {
  try {
    return parseQuantity(input);
  } catch (error) {
    if (error instanceof QuantityParseError) return undefined;
    throw error;
  }
}

export function isQuantity(input: string | number): boolean {
  return tryParseQuantity(input) !== undefined;
}

export type QuantityLike = Quantity | string | number;

function asQuantity(value: QuantityLike): Quantity {
  return typeof value === 'object' ? value : parseQuantity(value);
}

/** -1, 0 or 1, exactly. */
export function compareQuantities(a: QuantityLike, b: QuantityLike): -1 | 0 | 1 {
  const x = asQuantity(a).nanos;
  const y = asQuantity(b).nanos;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addQuantities(a: QuantityLike, b: QuantityLike): Quantity {
  const x = asQuantity(a);
  return { nanos: x.nanos + asQuantity(b).nanos, format: x.format };
}

export function subtractQuantities(a: QuantityLike, b: QuantityLike): Quantity {
  const x = asQuantity(a);
  return { nanos: x.nanos - asQuantity(b).nanos, format: x.format };
}

export function minQuantity(a: QuantityLike, b: QuantityLike): Quantity {
  return compareQuantities(a, b) <= 0 ? asQuantity(a) : asQuantity(b);
}

export const ZERO_QUANTITY: Quantity = { nanos: 0n, format: 'DecimalSI' };

/** The value in milli-units, rounded up like resource.Quantity.MilliValue. */
export function milliValue(q: QuantityLike): bigint {
  const nanos = asQuantity(q).nanos;
  const milli = nanos / 1_000_000n;
  return milli * 1_000_000n < nanos ? milli + 1n : milli;
}

/**
 * Prints a quantity in Kubernetes' canonical style: no fraction, the largest
 * suffix that keeps it exact ("1500m", "1536Mi", "2k"). Binary notation is kept
 * for whole multiples of 1Ki, as apimachinery does; everything else is decimal.
 */
export function formatQuantity(q: QuantityLike): string {
  const { nanos, format } = asQuantity(q);
  if (nanos === 0n) return '0';
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  const sign = negative ? '-' : '';
  if (format === 'BinarySI' && magnitude % NANO === 0n) {
    const units = magnitude / NANO;
    for (const [suffix, power] of Object.entries(BINARY_SUFFIX_POWER).reverse()) {
      const step = 2n ** BigInt(power);
      if (units % step === 0n) return `${sign}${units / step}${suffix}`;
    }
  }
  const decimalSuffixes = Object.entries(DECIMAL_SUFFIX_EXPONENT).sort((a, b) => b[1] - a[1]);
  for (const [suffix, exponent] of decimalSuffixes) {
    const step = 10n ** BigInt(exponent + 9);
    if (magnitude % step === 0n) return `${sign}${magnitude / step}${suffix}`;
  }
  return `${sign}${magnitude}n`; // unreachable: every value is a whole number of nanos
}

function numberToQuantityText(value: number): string {
  if (!Number.isFinite(value)) throw new QuantityParseError(String(value), 'not a finite number');
  // String(1e21) is "1e+21", which the grammar accepts; String(0.1) is exact enough
  // because the caller chose a JSON number and JSON numbers are decimal text.
  return String(value);
}
