/**
 * What a member cluster's kubeconfig (from a Cluster's Secret) may contain.
 *
 * The operator's own kubeconfig is trusted like its binary. A member's is not:
 * whoever may write the Secret a Cluster names would otherwise run a program
 * inside the operator (`exec`, `auth-provider`) or have it read and send a
 * file of its choice (`tokenFile`, `client-key`, `certificate-authority` and
 * any other file path: the operator's own service-account token among them).
 * So those fields are refused unless the installation explicitly allows them
 * (CANOPY_ALLOW_MEMBER_KUBECONFIG_PLUGINS). Pure: no I/O here.
 */

/** Keys of `clusters[].cluster` that name a file. */
const CLUSTER_FILE_KEYS = ['certificate-authority'];
/** Keys of `users[].user` that run a program or name a file. */
const USER_PLUGIN_KEYS = ['exec', 'auth-provider'];
const USER_FILE_KEYS = ['tokenFile', 'token-file', 'client-certificate', 'client-key'];

type Json = Record<string, unknown>;

const record = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
/** Any other key that reads like a file path setting. */
const fileLike = (key: string): boolean => /(?:-file|File)$/.test(key);

function listed(document: Json, list: 'clusters' | 'users'): Json[] {
  const value = document[list];
  return Array.isArray(value) ? value.map(record) : [];
}

/**
 * The fields of a kubeconfig document that run a program or read a file, as
 * paths (`users[0].user.exec`), in document order; [] when there are none.
 */
export function refusedKubeconfigFields(document: Json): string[] {
  const out: string[] = [];
  listed(document, 'clusters').forEach((entry, i) => {
    const cluster = record(entry['cluster']);
    for (const key of Object.keys(cluster)) {
      if ((CLUSTER_FILE_KEYS.includes(key) || fileLike(key)) && present(cluster[key])) out.push(`clusters[${i}].cluster.${key}`);
    }
  });
  listed(document, 'users').forEach((entry, i) => {
    const user = record(entry['user']);
    for (const key of Object.keys(user)) {
      if ((USER_PLUGIN_KEYS.includes(key) || USER_FILE_KEYS.includes(key) || fileLike(key)) && present(user[key])) out.push(`users[${i}].user.${key}`);
    }
  });
  return out;
}

/** A member kubeconfig that uses fields the operator refuses; `message` names them and the way out. */
export class KubeconfigRefusedError extends Error {
  constructor(readonly fields: readonly string[]) {
    const runs = fields.some((f) => USER_PLUGIN_KEYS.some((k) => f.endsWith(`.${k}`)));
    const what = runs ? 'runs a program' : 'reads a file';
    super(
      `uses ${fields.join(', ')}, which ${what} inside the operator: member kubeconfigs must carry their credentials inline ` +
        '(a bearer token or client certificate and key data, and the CA data), or the installation must allow plugins (CANOPY_ALLOW_MEMBER_KUBECONFIG_PLUGINS=true)',
    );
    this.name = 'KubeconfigRefusedError';
  }
}

/** Throws KubeconfigRefusedError when the document may not be used as a member kubeconfig. */
export function checkMemberKubeconfig(document: Json, allowPlugins: boolean): void {
  if (allowPlugins) return;
  const fields = refusedKubeconfigFields(document);
  if (fields.length > 0) throw new KubeconfigRefusedError(fields);
}
