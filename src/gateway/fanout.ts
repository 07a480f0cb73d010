/**
 * Cluster-wide lists and watches of namespaced kinds (`kubectl get pods -A`,
 * `-w`), answered by fanning out over the logical cluster's namespaces as the
 * caller, never by a cluster-wide request.
 *
 * List: the first namespace is listed as the client asked; its
 * resourceVersion R is the snapshot the others are listed at
 * (`resourceVersion=R&resourceVersionMatch=Exact`), so the merged list is one
 * consistent snapshot and R is a valid point to watch from. `limit` and
 * `continue` are not honoured: the merged list is one page (a logical cluster
 * holds at most 32 namespaces; a continue token of one namespace means
 * nothing to another).
 *
 * Watch: one upstream watch per namespace from the client's resourceVersion,
 * merged line by line. A BOOKMARK is passed on only once every namespace's
 * stream has reached it (the smallest resourceVersion all streams passed), so
 * a client resuming from a bookmark misses nothing. An ERROR event (410 Gone
 * after compaction, say) or the end of any upstream stream ends the merged
 * watch, and the client relists or re-watches as it would against an
 * apiserver; so does a change of the logical cluster's namespaces (a 410, so
 * the client lists the new set). A client that stops reading is given a bounded grace, then
 * disconnected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

export interface ListLike {
  kind?: string;
  apiVersion?: string;
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number; [key: string]: unknown };
  items?: unknown[];
  rows?: unknown[];
  columnDefinitions?: unknown[];
  [key: string]: unknown;
}

/** Merges per-namespace List or Table pages into one, at resourceVersion `rv`. */
export function mergeLists(pages: readonly ListLike[], rv: string | undefined): ListLike {
  const first = pages[0] ?? { kind: 'List', apiVersion: 'v1', items: [] };
  const metadata = { ...(rv ? { resourceVersion: rv } : {}) };
  if (first.kind === 'Table') {
    return { ...first, metadata, rows: pages.flatMap((p) => p.rows ?? []) };
  }
  return { ...first, metadata, items: pages.flatMap((p) => p.items ?? []) };
}

/** The query of one namespace's list: the client's, without paging, at the snapshot once known. */
export function listQuery(client: URLSearchParams, snapshot: string | undefined): URLSearchParams {
  const query = new URLSearchParams(client);
  query.delete('limit');
  query.delete('continue');
  if (snapshot !== undefined) {
    query.set('resourceVersion', snapshot);
    query.set('resourceVersionMatch', 'Exact');
  }
  return query;
}

/** Keeps only JSON media types of an Accept header: merged answers are built as JSON. */
export function jsonAccept(accept: string | undefined): string {
  const kept = (accept ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^application\/json\b/i.test(s) || s.startsWith('*/*'));
  return kept.length > 0 ? kept.join(',') : 'application/json';
}

interface WatchLine {
  type?: string;
  object?: { metadata?: { resourceVersion?: string }; rows?: Array<{ object?: { metadata?: { resourceVersion?: string } } }> };
}

function resourceVersionOf(event: WatchLine): string | undefined {
  return event.object?.metadata?.resourceVersion ?? event.object?.rows?.[0]?.object?.metadata?.resourceVersion;
}

function asNumber(rv: string | undefined): bigint | undefined {
  if (!rv || !/^\d+$/.test(rv)) return undefined;
  return BigInt(rv);
}

export interface MergeOptions {
  /** Pass BOOKMARK events on (the client asked with allowWatchBookmarks). */
  readonly bookmarks: boolean;
  /** Where every stream starts (the client's resourceVersion). */
  readonly from?: string;
  /** How long a client may keep the merged stream blocked before it is disconnected; default 30 s. */
  readonly slowClientMs?: number;
  /** Bytes buffered for a blocked client before it is disconnected; default 4 MiB. */
  readonly maxBufferedBytes?: number;
  readonly onEnd?: (why: string) => void;
  /**
   * Aborted when the set of namespaces behind the merged watch changes: the watch then ends with a 410
   * ERROR event, so the client lists again (a namespace added later has objects older than any resourceVersion
   * the client holds, which only a new list can show).
   */
  readonly expire?: AbortSignal;
}

/** The ERROR event that makes a client list again. */
export function expiredEvent(message: string): string {
  return JSON.stringify({
    type: 'ERROR',
    object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 },
  });
}

/**
 * Streams every upstream watch response (all already answered 200) into `res`, one event per line,
 * until one ends or fails, the client goes away, or the client is too slow. Resolves when all is closed.
 */
export function mergeWatches(streams: readonly IncomingMessage[], res: ServerResponse, options: MergeOptions): Promise<void> {
  return new Promise((resolve) => {
    const latest = streams.map(() => asNumber(options.from));
    let emittedBookmark = asNumber(options.from) ?? 0n;
    let finished = false;
    let slowTimer: NodeJS.Timeout | undefined;
    let onExpireRef: () => void = () => undefined;
    const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    const finish = (why: string, endClient: boolean): void => {
      if (finished) return;
      finished = true;
      if (slowTimer) clearTimeout(slowTimer);
      options.expire?.removeEventListener('abort', onExpireRef);
      for (const s of streams) s.destroy();
      if (endClient && !res.destroyed) res.end();
      else res.destroy();
      options.onEnd?.(why);
      resolve();
    };
    const write = (line: string): void => {
      if (finished) return;
      const ok = res.write(`${line}\n`);
      if (res.writableLength > maxBuffered) {
        finish('client too slow: buffer limit', false);
        return;
      }
      if (!ok && !slowTimer) {
        for (const s of streams) s.pause();
        slowTimer = setTimeout(() => finish('client too slow: not reading', false), options.slowClientMs ?? 30_000);
        res.once('drain', () => {
          if (slowTimer) clearTimeout(slowTimer);
          slowTimer = undefined;
          if (!finished) for (const s of streams) s.resume();
        });
      }
    };
    res.on('close', () => finish('client went away', false));
    const onExpire = (): void => {
      write(expiredEvent('the namespaces of the logical cluster changed; list again'));
      finish('namespaces changed', true);
    };
    onExpireRef = onExpire;
    if (options.expire?.aborted) onExpire();
    else options.expire?.addEventListener('abort', onExpire, { once: true });
    streams.forEach((stream, index) => {
      const decoder = new StringDecoder('utf8');
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += decoder.write(chunk);
        let newline = buffered.indexOf('\n');
        while (newline >= 0 && !finished) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (line.trim() === '') continue;
          let event: WatchLine;
          try {
            event = JSON.parse(line) as WatchLine;
          } catch {
            return finish('unreadable upstream event', false);
          }
          if (event.type === 'ERROR') {
            write(line);
            return finish('upstream error event', true);
          }
          const rv = asNumber(resourceVersionOf(event));
          if (rv !== undefined) latest[index] = rv;
          if (event.type === 'BOOKMARK') {
            if (!options.bookmarks) continue;
            const all = lowest(latest);
            if (all !== undefined && all > emittedBookmark) {
              emittedBookmark = all;
              write(JSON.stringify(bookmarkAt(event, all.toString())));
            }
            continue;
          }
          write(line);
        }
      });
      stream.on('end', () => finish('upstream watch ended', true));
      stream.on('error', () => finish('upstream watch failed', true));
      stream.on('close', () => {
        if (!stream.complete) finish('upstream connection closed', true);
      });
    });
  });
}

/** The smallest resourceVersion every stream has reached, or undefined while one has reported none. */
function lowest(values: readonly (bigint | undefined)[]): bigint | undefined {
  let min: bigint | undefined;
  for (const v of values) {
    if (v === undefined) return undefined;
    if (min === undefined || v < min) min = v;
  }
  return min;
}

function bookmarkAt(event: WatchLine, rv: string): WatchLine {
  const object = event.object ?? {};
  return { type: 'BOOKMARK', object: { ...object, metadata: { ...(object.metadata ?? {}), resourceVersion: rv } } };
}
