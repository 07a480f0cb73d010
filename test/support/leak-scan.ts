/**
 * The grep that proves secrets stay secret: every Event on the host, every
 * Cluster, PropagatedObject and LogicalCluster status, and the operator's
 * log, searched for credentials — the local users' and members' tokens, the
 * operator's own, anything a test planted — and for the shapes any
 * credential has (PEM markers, JWTs, kubeconfig credential fields).
 * Run by the secrets suite and again at the very end of the e2e run.
 */
import { readFileSync } from 'node:fs';
import { TEST_USERS, type LocalEnvironment } from '../../controlplane/launcher/index.js';
import { ApiClient, Resources, type KubeObject } from '../../src/runtime/index.js';

/** Credential shapes no message may contain, whatever their value. */
export const CREDENTIAL_SHAPES: ReadonlyMap<string, string> = new Map([
  ['a PEM marker', 'BEGIN '],
  ['a JWT', 'eyJ'],
  ['a kubeconfig key field', 'client-key-data'],
  ['a kubeconfig token field', 'token:'],
]);

export interface LeakScanInput {
  readonly env: LocalEnvironment;
  /** The operator's log file, already flushed. */
  readonly operatorLog: string;
  /** Further secrets to look for, by what they are. */
  readonly planted?: ReadonlyMap<string, string>;
  readonly operatorToken?: string | undefined;
}

export interface LeakScan {
  /** Where was looked: `Event ns/name`, `Cluster /name status`, `the operator log`. */
  readonly places: readonly string[];
  /** `what in where: …context<here>`, empty when nothing leaked. */
  readonly hits: readonly string[];
}

export async function scanForLeaks(input: LeakScanInput): Promise<LeakScan> {
  const { env } = input;
  const secrets = new Map<string, string>([...(input.planted ?? []), ...CREDENTIAL_SHAPES]);
  for (const user of ['admin', ...TEST_USERS]) secrets.set(`the host token of ${user}`, env.host.token(user));
  for (const member of env.members) secrets.set(`the admin token of ${member.name}`, member.adminToken);
  if (input.operatorToken) secrets.set("the operator's own token", input.operatorToken);

  const admin = new ApiClient(env.host.kubeConfig());
  const haystacks = new Map<string, string>();
  try {
    for (const event of await admin.listAll(Resources.Event))
      haystacks.set(`Event ${event.metadata?.namespace}/${event.metadata?.name}`, JSON.stringify(event));
    for (const resource of [Resources.Cluster, Resources.PropagatedObject, Resources.LogicalCluster]) {
      for (const object of await admin.listAll<KubeObject & { status?: unknown }>(resource)) {
        haystacks.set(`${resource.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name} status`, JSON.stringify(object.status ?? {}));
      }
    }
  } finally {
    admin.close();
  }
  haystacks.set('the operator log', readFileSync(input.operatorLog, 'utf8'));

  const hits: string[] = [];
  for (const [where, text] of haystacks) {
    for (const [what, needle] of secrets) {
      const at = text.indexOf(needle);
      if (at >= 0) hits.push(`${what} in ${where}: …${text.slice(Math.max(0, at - 60), at)}<here>`);
    }
  }
  return { places: [...haystacks.keys()], hits };
}
