/**
 * Who is calling: the bearer token checked by a TokenReview on the apiserver
 * that issued it (the host in Namespace mode, the bound member in Cluster
 * mode), cached briefly under sha256(token) so a watch-heavy client does not
 * cost one review per request. The token itself is never stored, logged or
 * echoed.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ApiClient } from '../runtime/index.js';

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

interface TokenReviewJson {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }; error?: string };
}

export class TokenReviewer {
  private readonly cache: LRUCache<string, Promise<UserInfo | undefined>>;

  constructor(ttlMs: number, max = 10_000) {
    this.cache = new LRUCache({ max, ttl: Math.max(1, ttlMs) });
  }

  /** The user the token authenticates as on `client`'s apiserver, or undefined. `issuer` keys the cache (host or member name). */
  review(client: ApiClient, issuer: string, token: string): Promise<UserInfo | undefined> {
    const key = createHash('sha256').update(issuer).update('\0').update(token).digest('hex');
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.ask(client, token);
      this.cache.set(key, pending);
      // A failed review (apiserver unreachable) is not remembered; the next request asks again.
      pending.catch(() => this.cache.delete(key));
    }
    return pending;
  }

  private async ask(client: ApiClient, token: string): Promise<UserInfo | undefined> {
    const review = await client.request<TokenReviewJson>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    const user = review.status?.user;
    if (review.status?.authenticated !== true || !user?.username) return undefined;
    return { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups ?? [], ...(user.extra ? { extra: user.extra } : {}) };
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** `system:serviceaccount:<ns>:<name>` */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
