import type { Manager, StopReason } from './manager.js';

/**
 * Runs a started manager until SIGTERM/SIGINT (graceful stop, exit 0) or
 * until it stops by itself (leadership lost or a runnable failed: exit 1, so
 * the pod restarts and campaigns again, as controller-runtime does). A second
 * signal exits at once.
 */
export async function runUntilSignal(manager: Manager): Promise<number> {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      manager.logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    manager.logger.info({ signal }, 'shutting down');
    void manager.stop('stopped');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const reason: StopReason = await manager.done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return reason === 'stopped' ? 0 : 1;
}
