/**
 * The failover measurement alone (bench/propagation.bench.ts runs it after the
 * syncer measurements): `npx tsx bench/propagation-failover.run.ts [N]`.
 * Prints the result as JSON; writes nothing.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalEnvironment } from '../controlplane/launcher/index.js';
import { installCrds } from '../src/dev/manifests.js';
import { registerMembers } from '../src/dev/register.js';
import { failover } from './propagation-failover.js';

const objects = Number(process.argv[2] ?? 1_000);
const here = dirname(fileURLToPath(import.meta.url));
const env = await LocalEnvironment.start({ quiet: true, controllerManager: false });
try {
  await installCrds(env.host.kubeConfig(), join(here, '..', 'config', 'crd'));
  await registerMembers(env.host.kubeConfig(), env.members);
  console.log(JSON.stringify(await failover(env, objects, 64), null, 2));
} finally {
  await env.stop();
}
