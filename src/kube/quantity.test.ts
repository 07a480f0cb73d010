import { expect } from 'chai';
import {
  addQuantities,
  compareQuantities,
  formatQuantity,
  isQuantity,
  milliValue,
  minQuantity,
  parseQuantity,
  QuantityParseError,
  subtractQuantities,
  tryParseQuantity,
} from './quantity.js';

describe('quantity', () => {
  describe('parseQuantity', () => {
    const cases: Array<[string, bigint]> = [
      ['0', 0n],
      ['2', 2_000_000_000n],
      ['500m', 500_000_000n],
      ['1.5', 1_500_000_000n],
      ['.5', 500_000_000n],
      ['1.', 1_000_000_000n],
      ['1k', 1_000_000_000_000n],
      ['1.5G', 1_500_000_000n * 1_000_000_000n],
      ['1Ki', 1024n * 1_000_000_000n],
      ['1Gi', 1024n ** 3n * 1_000_000_000n],
      ['1.5Gi', 1536n * 1024n ** 2n * 1_000_000_000n],
      ['1e3', 1000n * 1_000_000_000n],
      ['1E3', 1000n * 1_000_000_000n],
      ['25e-1', 2_500_000_000n],
      ['1e+2', 100n * 1_000_000_000n],
      ['250n', 250n],
      ['3u', 3000n],
      ['-2', -2_000_000_000n],
      ['+7m', 7_000_000n],
      ['1E', 10n ** 18n * 1_000_000_000n],
      ['8Ei', 8n * 2n ** 60n * 1_000_000_000n],
    ];
    for (const [input, nanos] of cases) {
      it(`reads "${input}" exactly`, () => {
        expect(parseQuantity(input).nanos).to.equal(nanos);
      });
    }

    it('rounds a value finer than a nano-unit away from zero, as the API server does', () => {
      expect(parseQuantity('0.1n').nanos).to.equal(1n);
      expect(parseQuantity('1e-10').nanos).to.equal(1n);
      expect(parseQuantity('-0.1n').nanos).to.equal(-1n);
      expect(parseQuantity('0.0000000001').nanos).to.equal(1n);
    });

    it('records the notation', () => {
      expect(parseQuantity('1Gi').format).to.equal('BinarySI');
      expect(parseQuantity('1e3').format).to.equal('DecimalExponent');
      expect(parseQuantity('1G').format).to.equal('DecimalSI');
    });

    it('accepts JSON numbers', () => {
      expect(parseQuantity(3).nanos).to.equal(3_000_000_000n);
      expect(parseQuantity(0.25).nanos).to.equal(250_000_000n);
      expect(parseQuantity(1e21).nanos).to.equal(10n ** 30n);
    });

    for (const bad of ['', 'abc', '1.2.3', '1KiB', '1ki', 'Gi', '1 Gi', '--1', '1e', '1e99999', '1mm', '0x10']) {
      it(`rejects "${bad}"`, () => {
        expect(() => parseQuantity(bad)).to.throw(QuantityParseError);
        expect(tryParseQuantity(bad)).to.equal(undefined);
        expect(isQuantity(bad)).to.equal(false);
      });
    }

    it('rejects non-finite numbers', () => {
      expect(() => parseQuantity(Number.NaN)).to.throw(QuantityParseError);
      expect(() => parseQuantity(Number.POSITIVE_INFINITY)).to.throw(QuantityParseError);
    });
  });

  describe('arithmetic', () => {
    it('compares across notations exactly', () => {
      expect(compareQuantities('1Gi', '1G')).to.equal(1);
      expect(compareQuantities('1000m', '1')).to.equal(0);
      expect(compareQuantities('1e3', '1k')).to.equal(0);
      expect(compareQuantities('999m', '1')).to.equal(-1);
      expect(compareQuantities('0.1', '100m')).to.equal(0);
      // 0.1 + 0.2 is exactly 0.3 here, unlike in floating point.
      expect(compareQuantities(addQuantities('0.1', '0.2'), '0.3')).to.equal(0);
    });

    it('adds and subtracts keeping the first operand notation', () => {
      const sum = addQuantities('1Gi', '512Mi');
      expect(sum.nanos).to.equal(1536n * 1024n ** 2n * 1_000_000_000n);
      expect(formatQuantity(sum)).to.equal('1536Mi');
      expect(formatQuantity(subtractQuantities('2', '500m'))).to.equal('1500m');
      expect(formatQuantity(subtractQuantities('1', '3'))).to.equal('-2');
    });

    it('picks the smaller value', () => {
      expect(formatQuantity(minQuantity('2Gi', '3G'))).to.equal('2Gi');
      expect(formatQuantity(minQuantity('4', '3500m'))).to.equal('3500m');
    });

    it('rounds milli values up like MilliValue', () => {
      expect(milliValue('1')).to.equal(1000n);
      expect(milliValue('1n')).to.equal(1n);
      expect(milliValue('1500u')).to.equal(2n);
    });
  });

  describe('formatQuantity', () => {
    const cases: Array<[string, string]> = [
      ['1.5', '1500m'],
      ['1000', '1k'],
      ['1500', '1500'],
      ['1.5Gi', '1536Mi'],
      ['0.5Ki', '512'],
      ['2048Ki', '2Mi'],
      ['1e3', '1k'],
      ['0', '0'],
      ['250n', '250n'],
      ['1.5G', '1500M'],
      ['-1.5', '-1500m'],
    ];
    for (const [input, printed] of cases) {
      it(`prints "${input}" as "${printed}"`, () => {
        expect(formatQuantity(input)).to.equal(printed);
        expect(compareQuantities(printed, input)).to.equal(0);
      });
    }
  });
});
