/**
 * Kubeconfig loading for the operator's own process.
 *
 * The operator talks to apiservers through its own JSON client (http.ts) and
 * needs from a kubeconfig only the server, the TLS material and the
 * credentials. @kubernetes/client-node's KubeConfig class cannot be loaded
 * without the client's whole generated API (thousands of model classes):
 * measured ~40 MiB of resident memory in an idle operator of ~130 MiB, paid
 * by every install whether it has ten objects or ten thousand. So the shapes
 * an operator meets in practice are read here, with the same parser the
 * client uses: a bearer token or token file, client certificates, basic
 * auth, impersonation, a CA, `insecure-skip-tls-verify`, `tls-server-name`,
 * and the in-cluster service account (its token re-read as the kubelet
 * rotates it). A user that needs a plugin (`exec`, `auth-provider`) is handed
 * to the client's KubeConfig, loaded only then, so nothing kubectl accepts is
 * refused here (member kubeconfigs from Cluster Secrets are held to a
 * stricter rule first: member-kubeconfig.ts). A YAML error is reported by its
 * line alone: the parser's own message quotes the text, credentials included.
 *
 * Everything that takes a kubeconfig accepts a {@link KubeConfigSource}: this
 * class, or the client's KubeConfig (tests and dev tools build those).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import type { RequestOptions } from 'node:https';
import { load as parseYaml } from 'js-yaml';

/** The current cluster of a kubeconfig, in the client's shape. */
export interface ClusterEndpoint {
  readonly name: string;
  /** Without a trailing slash. */
  readonly server: string;
  readonly skipTLSVerify: boolean;
  /** Base64 PEM. */
  readonly caData?: string | undefined;
  readonly caFile?: string | undefined;
  readonly tlsServerName?: string | undefined;
}

/** What the runtime needs of a kubeconfig; the client's KubeConfig has the same two methods. */
export interface KubeConfigSource {
  getCurrentCluster(): ClusterEndpoint | null;
  /** Sets TLS material and credential headers on request options; may read files (rotated tokens). */
  applyToHTTPSOptions(options: RequestOptions): Promise<void>;
}

interface UserEntry {
  readonly name: string;
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly certData?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyData?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly impersonateUser?: string | undefined;
  /** `exec` or `auth-provider`: credentials come from a plugin the client runs. */
  readonly plugin: boolean;
}

interface ContextEntry {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string | undefined;
}

const SERVICE_ACCOUNT_ROOT = '/var/run/secrets/kubernetes.io/serviceaccount';

type Json = Record<string, unknown>;
const record = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const entries = (v: unknown): Json[] => (Array.isArray(v) ? v.map(record) : []);

export class KubeConfig implements KubeConfigSource {
  private clusters: ClusterEndpoint[] = [];
  private users: UserEntry[] = [];
  private contexts: ContextEntry[] = [];
  private currentContext: string | undefined;
  /** The entries as written (paths made absolute), for the client's KubeConfig when a plugin is needed. */
  private rawClusters = new Map<string, Json>();
  private rawUsers = new Map<string, Json>();
  private pluginConfig: Promise<KubeConfigSource> | undefined;

  /** KUBECONFIG (a list, merged the way kubectl merges), then ~/.kube/config, then the in-cluster service account. */
  loadFromDefault(env: NodeJS.ProcessEnv = process.env): void {
    const listed = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
    if (listed.length > 0) {
      // kubectl skips listed files that do not exist; all of them missing is an error.
      const files = listed.filter((file) => existsSync(file));
      if (files.length === 0) throw new Error(`KUBECONFIG names no existing file: ${listed.join(delimiter)}`);
      this.reset();
      for (const file of files) this.merge(readFileSync(file, 'utf8'), file);
      return;
    }
    const home = env['HOME'] ?? homedir();
    const userConfig = join(home, '.kube', 'config');
    if (existsSync(userConfig)) {
      this.loadFromFile(userConfig);
      return;
    }
    if (existsSync(join(SERVICE_ACCOUNT_ROOT, 'token'))) {
      this.loadFromCluster(SERVICE_ACCOUNT_ROOT, env);
      return;
    }
    throw new Error('no kubeconfig: KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod with a service account');
  }

  loadFromFile(file: string): void {
    this.reset();
    this.merge(readFileSync(file, 'utf8'), file);
  }

  /** A kubeconfig as text (YAML or JSON); relative file paths in it stay relative to the working directory. */
  loadFromString(text: string): void {
    this.reset();
    this.merge(text);
  }

  /** The pod's service account: the apiserver from the environment, its CA, and its token file (re-read, since it rotates). */
  loadFromCluster(root = SERVICE_ACCOUNT_ROOT, env: NodeJS.ProcessEnv = process.env): void {
    const host = env['KUBERNETES_SERVICE_HOST'];
    const port = env['KUBERNETES_SERVICE_PORT'];
    if (!host || !port) throw new Error('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a pod');
    this.reset();
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    this.clusters = [
      { name: 'in-cluster', server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`, skipTLSVerify: false, caFile: join(root, 'ca.crt') },
    ];
    this.users = [{ name: 'in-cluster', tokenFile: join(root, 'token'), plugin: false }];
    const namespaceFile = join(root, 'namespace');
    const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
    this.contexts = [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace }];
    this.currentContext = 'in-cluster';
  }

  getCurrentContext(): string | undefined {
    return this.currentContext;
  }

  /** Makes `name` the current context (kubectl's --context); an unknown name is an error. */
  setCurrentContext(name: string): void {
    if (!this.contexts.some((c) => c.name === name)) throw new Error(`context "${name}" is not in the kubeconfig`);
    this.currentContext = name;
  }

  getCurrentCluster(): ClusterEndpoint | null {
    const context = this.context();
    return (context && this.clusters.find((c) => c.name === context.cluster)) ?? null;
  }

  /** The namespace of the current context, if it names one. */
  getCurrentNamespace(): string | undefined {
    return this.context()?.namespace;
  }

  async applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.currentUser();
    if (user?.plugin) return (await this.pluginSource()).applyToHTTPSOptions(options);
    if (cluster) {
      if (cluster.skipTLSVerify) options.rejectUnauthorized = false;
      if (cluster.tlsServerName) options.servername = cluster.tlsServerName;
      const ca = material(cluster.caFile, cluster.caData);
      if (ca) options.ca = ca;
    }
    if (!user) return;
    const cert = material(user.certFile, user.certData);
    if (cert) options.cert = cert;
    const key = material(user.keyFile, user.keyData);
    if (key) options.key = key;
    const headers = (options.headers ??= {}) as Record<string, string>;
    if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    // A token file is read on every call: the caller caches credentials briefly, and a rotated token must be picked up.
    const token = user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : undefined);
    if (token) headers['Authorization'] = `Bearer ${token}`;
    if (user.username) options.auth = `${user.username}:${user.password ?? ''}`;
  }

  private context(): ContextEntry | undefined {
    return this.contexts.find((c) => c.name === this.currentContext);
  }

  private currentUser(): UserEntry | undefined {
    const context = this.context();
    return context && this.users.find((u) => u.name === context.user);
  }

  private reset(): void {
    this.clusters = [];
    this.users = [];
    this.contexts = [];
    this.currentContext = undefined;
    this.rawClusters = new Map();
    this.rawUsers = new Map();
    this.pluginConfig = undefined;
  }

  /** An already parsed kubeconfig document (see parseKubeconfigDocument); relative file paths stay relative to the working directory. */
  loadFromDocument(document: Record<string, unknown>): void {
    this.reset();
    this.mergeDocument(document);
  }

  /** Adds one document; as kubectl does, the first entry of a name and the first current-context win. */
  private merge(text: string, file?: string): void {
    this.mergeDocument(parseKubeconfigDocument(text, file), file);
  }

  private mergeDocument(parsed: Json, file?: string): void {
    const base = file ? dirname(file) : undefined;
    const path = (p: unknown): string | undefined => {
      const s = str(p);
      return s && base && !isAbsolute(s) ? join(base, s) : s;
    };
    const where = file ?? 'the kubeconfig';
    /** The entries of one list whose names are new; an entry without a name is an error. */
    function* fresh(list: 'clusters' | 'users' | 'contexts', known: ReadonlyArray<{ name: string }>) {
      for (const [index, entry] of entries(parsed[list]).entries()) {
        const name = str(entry['name']);
        if (!name) throw new Error(`${where}: ${list}[${index}].name is missing`);
        if (!known.some((x) => x.name === name)) yield { name, index, body: record(entry[list.slice(0, -1)]) };
      }
    }
    for (const { name, index, body: c } of fresh('clusters', this.clusters)) {
      const server = str(c['server']);
      if (!server) throw new Error(`${where}: clusters[${index}].cluster.server is missing`);
      const cluster = {
        name,
        server: server.replace(/\/+$/, ''),
        skipTLSVerify: c['insecure-skip-tls-verify'] === true,
        caData: str(c['certificate-authority-data']),
        caFile: path(c['certificate-authority']),
        tlsServerName: str(c['tls-server-name']),
      };
      this.clusters.push(cluster);
      this.rawClusters.set(name, { ...c, 'certificate-authority': cluster.caFile });
    }
    for (const { name, body: u } of fresh('users', this.users)) {
      this.rawUsers.set(name, { ...u, 'client-certificate': path(u['client-certificate']), 'client-key': path(u['client-key']) });
      this.users.push({
        name,
        token: str(u['token']),
        tokenFile: path(u['tokenFile'] ?? u['token-file']),
        certData: str(u['client-certificate-data']),
        certFile: path(u['client-certificate']),
        keyData: str(u['client-key-data']),
        keyFile: path(u['client-key']),
        username: str(u['username']),
        password: str(u['password']),
        impersonateUser: str(u['as']),
        plugin: u['exec'] !== undefined || u['auth-provider'] !== undefined,
      });
    }
    for (const { name, body: c } of fresh('contexts', this.contexts)) {
      this.contexts.push({ name, cluster: str(c['cluster']) ?? '', user: str(c['user']) ?? '', namespace: str(c['namespace']) });
    }
    this.currentContext ??= str(parsed['current-context']);
  }

  /**
   * The client's KubeConfig for the current context alone (the client refuses
   * the duplicate names a merged KUBECONFIG may hold), for a user whose
   * credentials come from a plugin.
   */
  private pluginSource(): Promise<KubeConfigSource> {
    this.pluginConfig ??= import('@kubernetes/client-node').then(({ KubeConfig: ClientKubeConfig }) => {
      const context = this.context();
      if (!context) throw new Error('the kubeconfig has no current context');
      const only = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: context.cluster, cluster: this.rawClusters.get(context.cluster) }],
        users: [{ name: context.user, user: this.rawUsers.get(context.user) }],
        contexts: [{ name: context.name, context: { cluster: context.cluster, user: context.user } }],
        'current-context': context.name,
      };
      const kc = new ClientKubeConfig();
      kc.loadFromString(JSON.stringify(only));
      return kc;
    });
    return this.pluginConfig;
  }
}

/**
 * A kubeconfig's text that is not valid YAML. The parser's own message quotes
 * the lines around the error, tokens and keys included, so only the position
 * is kept: this message may end up in a status, an Event or a log.
 */
export class KubeconfigSyntaxError extends Error {
  constructor(
    readonly line: number | undefined,
    where?: string,
  ) {
    super(`${where ? `${where}: ` : ''}not valid YAML${line !== undefined ? ` (line ${line})` : ''}`);
    this.name = 'KubeconfigSyntaxError';
  }
}

/** Parses a kubeconfig's text (YAML or JSON) into its top-level mapping; throws KubeconfigSyntaxError, never quoting the text. */
export function parseKubeconfigDocument(text: string, where?: string): Json {
  try {
    return record(parseYaml(text));
  } catch (err) {
    const mark = (err as { mark?: { line?: unknown } }).mark;
    throw new KubeconfigSyntaxError(typeof mark?.line === 'number' ? mark.line + 1 : undefined, where);
  }
}

function material(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}
