import { join } from 'node:path';
import { LocalEnvironment, repoRoot } from '../../controlplane/launcher/index.js';
import { installCrds } from '../../src/dev/manifests.js';
import { maybeTestOperator, setTestEnv, testEnv } from './env.js';
import { operatorLogPath, startTestOperator } from './operator.js';
import { scanForLeaks, type LeakScan } from '../support/leak-scan.js';

/**
 * Mocha root hooks: one real control plane (host + three members) for the
 * whole e2e run, CRDs installed, members registered as Clusters, and one
 * operator running against it; everything is stopped at the end — also when a
 * test fails, since mocha runs afterAll regardless.
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(30 * 60_000); // the first run may build the control plane
    const env = await LocalEnvironment.start({ quiet: true });
    setTestEnv(env);
    await installCrds(env.host.kubeConfig(), join(repoRoot, 'config', 'crd'));
    setTestEnv(env, await startTestOperator(env));
    console.log(`  (operator log: ${operatorLogPath})`);
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    const env = testEnv();
    // Secrets stay secret over the whole run: nothing any suite made the operator write may hold a credential.
    const operator = maybeTestOperator();
    let leaks: LeakScan | undefined;
    let scanFailure: unknown;
    try {
      if (operator) {
        await new Promise<void>((resolve) => operator.manager.logger.flush(() => resolve()));
        leaks = await scanForLeaks({ env, operatorLog: operatorLogPath, operatorToken: operator.kubeConfig.getCurrentUser()?.token });
      }
    } catch (err) {
      scanFailure = err; // reported after teardown: the environment must stop whatever happens here
    }
    try {
      await operator?.stop();
    } finally {
      await env.stop();
      setTestEnv(undefined);
    }
    const leaked = env.processIds;
    if (leaked.length > 0) throw new Error(`control-plane processes still running after stop: ${leaked.join(', ')}`);
    if (scanFailure) throw new Error(`the final scan for credentials failed: ${(scanFailure as Error).message}`);
    if (leaks && leaks.hits.length > 0)
      throw new Error(`credentials found after the e2e run (${leaks.places.length} places scanned):\n${leaks.hits.join('\n')}`);
    if (leaks) console.log(`  (no credential in ${leaks.places.length} Events, statuses and the operator log)`);
  },
};
