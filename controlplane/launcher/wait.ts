import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it returns true or the deadline passes; returns whether it did. */
export async function waitUntil(timeoutMs: number, intervalMs: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}
