/**
 * Polling for e2e steps that wait on a controller or on RBAC catching up: a
 * probe runs until it returns a value; a failure names what never happened
 * and the last refusal seen (a 403 while a grant had not arrived yet).
 */
import { waitUntil } from '../../controlplane/launcher/index.js';
import { isForbidden, isNotFound } from '../../src/runtime/index.js';

export class Waiter {
  private lastRefusal = '';

  async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    let value: T | undefined;
    this.lastRefusal = '';
    const ok = await waitUntil(timeoutMs, 200, async () => (value = await probe()) !== undefined);
    if (!ok) throw new Error(`never happened: ${what}${this.lastRefusal ? ` (last refusal: ${this.lastRefusal})` : ''}`);
    return value as T;
  }

  /** Runs `call` until RBAC allows it (403, or 404 before a namespace exists), as the user it is made for. */
  whenAllowed<T>(what: string, call: () => Promise<T>, timeoutMs?: number): Promise<T> {
    return this.until(
      what,
      async () => {
        try {
          return await call();
        } catch (err) {
          if (isForbidden(err) || isNotFound(err)) {
            this.lastRefusal = (err as Error).message;
            return undefined;
          }
          throw err;
        }
      },
      timeoutMs,
    );
  }
}
