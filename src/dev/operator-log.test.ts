import { expect } from 'chai';
import { OperatorLogSummary, summarizeLogLine } from './operator-log.js';

const line = (record: Record<string, unknown>) => JSON.stringify(record);

describe('operator log summary (npm start)', () => {
  it('turns a reconcile error into one line: controller, key, message and cause', () => {
    const summary = summarizeLogLine(
      line({
        level: 'error',
        controller: 'placement',
        key: 'apps/web',
        msg: 'reconcile failed; will retry',
        err: { message: 'policy team-a not found\n    at x (y.ts:1)' },
      }),
    );
    expect(summary?.text).to.equal('placement apps/web: reconcile failed; will retry: policy team-a not found');
  });

  it('ignores info and debug lines and lines that are not JSON', () => {
    expect(summarizeLogLine(line({ level: 'info', msg: 'reconciled' }))).to.equal(undefined);
    expect(summarizeLogLine(line({ level: 30, msg: 'reconciled' }))).to.equal(undefined);
    expect(summarizeLogLine('node:internal stack line')).to.equal(undefined);
    expect(summarizeLogLine('null')).to.equal(undefined);
  });

  it('shows a key that keeps failing once, and again when the message changes; lines may arrive in pieces', () => {
    const printed: string[] = [];
    const summary = new OperatorLogSummary((l) => printed.push(l));
    const failure = (message: string, retries: number) =>
      `${line({ level: 'error', controller: 'cluster', key: 'eu-9', msg: 'reconcile failed; will retry', retries, err: { message } })}\n`;
    const first = failure('secret missing', 0);
    summary.write(first.slice(0, 20));
    summary.write(first.slice(20) + failure('secret missing', 1));
    summary.write(failure('kubeconfig invalid', 2));
    expect(printed).to.deep.equal([
      'cluster eu-9: reconcile failed; will retry: secret missing',
      'cluster eu-9: reconcile failed; will retry: kubeconfig invalid',
    ]);
  });
});
