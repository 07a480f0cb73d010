import { PassThrough } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'chai';
import { jsonAccept, listQuery, mergeLists, mergeWatches } from './fanout.js';

/** A writable that records lines, shaped enough like a ServerResponse for mergeWatches. */
function sink(): { res: ServerResponse; lines: () => string[]; ended: () => boolean } {
  const stream = new PassThrough();
  let text = '';
  let ended = false;
  stream.on('data', (c: Buffer) => (text += c.toString()));
  stream.on('finish', () => (ended = true));
  return { res: stream as unknown as ServerResponse, lines: () => text.split('\n').filter(Boolean), ended: () => ended };
}

function upstream(): PassThrough & { complete: boolean } {
  const s = new PassThrough() as PassThrough & { complete: boolean };
  s.complete = true;
  return s;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('gateway fan-out', () => {
  it('merges List and Table pages at one resourceVersion', () => {
    const lists = mergeLists(
      [
        { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '10', continue: 'x' }, items: [1] },
        { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '10' }, items: [2, 3] },
      ],
      '10',
    );
    expect(lists).to.deep.equal({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '10' }, items: [1, 2, 3] });
    const tables = mergeLists(
      [
        { kind: 'Table', columnDefinitions: ['a'], metadata: {}, rows: [1] },
        { kind: 'Table', columnDefinitions: ['a'], metadata: {}, rows: [2] },
      ],
      '7',
    );
    expect(tables).to.deep.equal({ kind: 'Table', columnDefinitions: ['a'], metadata: { resourceVersion: '7' }, rows: [1, 2] });
  });

  it('lists the later namespaces at the first one’s snapshot, without paging', () => {
    const query = listQuery(new URLSearchParams('limit=500&labelSelector=a%3Db&continue=t'), '42');
    expect(Object.fromEntries(query)).to.deep.equal({ labelSelector: 'a=b', resourceVersion: '42', resourceVersionMatch: 'Exact' });
    expect(Object.fromEntries(listQuery(new URLSearchParams('resourceVersion=0'), undefined))).to.deep.equal({ resourceVersion: '0' });
  });

  it('asks upstream for JSON only', () => {
    expect(jsonAccept('application/vnd.kubernetes.protobuf,application/json')).to.equal('application/json');
    expect(jsonAccept('application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).to.equal(
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    );
    expect(jsonAccept(undefined)).to.equal('application/json');
  });

  it('merges watch lines and passes a bookmark only once every stream reached it', async () => {
    const a = upstream();
    const b = upstream();
    const out = sink();
    const done = mergeWatches([a, b] as unknown as IncomingMessage[], out.res, { bookmarks: true, from: '5' });
    a.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'p1', resourceVersion: '6' } } })}\n{"type":"BOO`);
    a.write(`KMARK","object":{"metadata":{"resourceVersion":"9"}}}\n`);
    await tick();
    expect(out.lines().map((l) => JSON.parse(l).type)).to.deep.equal(['ADDED']);
    b.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '8' } } })}\n`);
    await tick();
    const bookmark = JSON.parse(out.lines().at(-1)!);
    expect(bookmark).to.deep.equal({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '8' } } });
    b.write(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })}\n`);
    await done;
    expect(JSON.parse(out.lines().at(-1)!).object.code).to.equal(410);
    expect(a.destroyed && b.destroyed).to.equal(true);
  });

  it('ends with a 410 the client relists on when the logical cluster’s namespaces change', async () => {
    const a = upstream();
    const out = sink();
    const expire = new AbortController();
    const done = mergeWatches([a] as unknown as IncomingMessage[], out.res, { bookmarks: false, expire: expire.signal });
    expire.abort();
    await done;
    const event = JSON.parse(out.lines().at(-1)!);
    expect(event).to.deep.include({ type: 'ERROR' });
    expect(event.object).to.include({ code: 410, reason: 'Expired' });
    expect(a.destroyed).to.equal(true);
  });

  it('ends the merged watch when any upstream stream ends', async () => {
    const a = upstream();
    const b = upstream();
    const out = sink();
    const done = mergeWatches([a, b] as unknown as IncomingMessage[], out.res, { bookmarks: false });
    a.end();
    await done;
    expect(b.destroyed).to.equal(true);
  });

  it('disconnects a client that stops reading once its buffer is full', async () => {
    const a = upstream();
    const res = new PassThrough({ highWaterMark: 16 });
    let why = '';
    const done = mergeWatches([a] as unknown as IncomingMessage[], res as unknown as ServerResponse, {
      bookmarks: false,
      maxBufferedBytes: 1024,
      slowClientMs: 100,
      onEnd: (w) => (why = w),
    });
    for (let i = 0; i < 50; i++) a.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: `p${i}`, resourceVersion: String(i + 1) } } })}\n`);
    await done;
    expect(why).to.contain('client too slow');
    expect(a.destroyed).to.equal(true);
  });
});
