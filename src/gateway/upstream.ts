/**
 * The gateway's connection to one apiserver (the host, or a member), with the
 * operator's own credentials from that apiserver's kubeconfig: a keep-alive
 * agent for ordinary requests and raw TLS sockets for upgrades (exec, attach,
 * port-forward). Credentials are re-read every 10 s, as the runtime's client
 * does, so a rotated service-account token is picked up.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import { kubeConfigRequestMaterial, type KubeConfigSource } from '../runtime/index.js';

const CREDENTIALS_TTL_MS = 10_000;

interface Resolved {
  readonly headers: Record<string, string>;
  readonly tls: tls.ConnectionOptions;
  readonly expires: number;
}

export class Upstream {
  readonly server: URL;
  private resolved: Resolved | undefined;
  private agent: http.Agent | undefined;

  constructor(private readonly kubeConfig: KubeConfigSource) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server.replace(/\/+$/, ''));
  }

  /** The operator's own credential headers for this apiserver. */
  async credentials(): Promise<Record<string, string>> {
    return (await this.resolve()).headers;
  }

  /**
   * Starts a request (body not yet written). `headers` are sent as given plus the operator's credentials;
   * the caller has removed the client's own credentials and added impersonation.
   */
  async request(method: string, pathAndQuery: string, headers: http.OutgoingHttpHeaders, signal?: AbortSignal): Promise<http.ClientRequest> {
    const resolved = await this.resolve();
    const base = this.server.pathname.replace(/\/$/, '');
    const options: https.RequestOptions = {
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || (this.server.protocol === 'http:' ? 80 : 443),
      method,
      path: base + pathAndQuery,
      headers: { ...headers, ...resolved.headers },
      agent: this.agent!,
      ...(signal ? { signal } : {}),
    };
    return this.server.protocol === 'http:' ? http.request(options) : https.request(options);
  }

  /** A raw connection for an upgrade request (TLS unless the server is plain http). */
  async connect(): Promise<net.Socket> {
    const resolved = await this.resolve();
    const port = Number(this.server.port || (this.server.protocol === 'http:' ? 80 : 443));
    const host = this.server.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const socket =
        this.server.protocol === 'http:'
          ? net.connect({ host, port }, () => resolve(socket))
          : tls.connect({ ...resolved.tls, host, port, ALPNProtocols: ['http/1.1'] }, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** The path prefix of the server URL (an apiserver behind a path-prefixing proxy). */
  get basePath(): string {
    return this.server.pathname.replace(/\/$/, '');
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async resolve(): Promise<Resolved> {
    if (this.resolved && this.resolved.expires > Date.now()) return this.resolved;
    const { opts, headers } = await kubeConfigRequestMaterial(this.kubeConfig);
    const material: tls.ConnectionOptions = {
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.cert ? { cert: opts.cert } : {}),
      ...(opts.key ? { key: opts.key } : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
    };
    if (!this.agent) {
      // No cap on sockets: a watch holds its socket for its whole life, so with a cap every request
      // (of every tenant on this apiserver) would queue behind the last open watch once it is reached.
      const agentOptions = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: Infinity, maxFreeSockets: 64, scheduling: 'lifo' as const };
      this.agent = this.server.protocol === 'http:' ? new http.Agent(agentOptions) : new https.Agent({ ...agentOptions, ...material });
    }
    this.resolved = { headers, tls: material, expires: Date.now() + CREDENTIALS_TTL_MS };
    return this.resolved;
  }
}

/** Headers that describe one hop (RFC 9110 §7.6.1) or carry credentials: never forwarded as they came. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'content-length',
]);

/**
 * The client's headers to send upstream: hop-by-hop headers and every credential or identity claim
 * (Authorization, Impersonate-*, X-Remote-*) removed, then impersonation of `username` added.
 */
export function forwardHeaders(incoming: http.IncomingHttpHeaders, username: string | undefined, keep: { upgrade?: boolean } = {}): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  const connectionTokens = new Set(
    String(incoming.connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t && t !== 'upgrade'),
  );
  for (const [key, value] of Object.entries(incoming)) {
    const k = key.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(k) || connectionTokens.has(k)) continue;
    if (k.startsWith('impersonate-') || k.startsWith('x-remote-')) continue;
    out[k] = value;
  }
  if (incoming['content-length'] !== undefined) out['content-length'] = incoming['content-length'];
  if (keep.upgrade && incoming.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = incoming.upgrade;
  }
  if (username) out['impersonate-user'] = username;
  return out;
}

/** Response headers to pass back to the client. */
export function responseHeaders(incoming: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(incoming)) {
    const k = key.toLowerCase();
    if (value === undefined || (HOP_BY_HOP.has(k) && k !== 'content-length') || k === 'set-cookie') continue;
    out[k] = value;
  }
  return out;
}
