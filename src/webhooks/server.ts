/**
 * The HTTPS endpoint the apiserver calls: POST an AdmissionReview to
 * `/validate/<webhook>`, get one back. Certificates can be swapped while
 * serving (setSecureContext): connections already open keep their session,
 * new handshakes use the new certificate.
 *
 * It speaks HTTP/2 (and HTTP/1.1 for other clients): kube-apiserver then
 * multiplexes every admission call over one connection. Over HTTP/1.1 Go's
 * client keeps only two idle connections per host, so at a few hundred
 * requests a second most calls would pay a fresh TLS handshake.
 */
import http2 from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { internalErrorReview, parseAdmissionReview, type AdmissionRequest, type AdmissionReview } from './admission.js';

/** Answers one admission request for one webhook path. Must not throw; the server turns a throw into a 500 review anyway. */
export type AdmissionHandler = (request: AdmissionRequest) => Promise<AdmissionReview>;

export interface TlsMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface WebhookServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: TlsMaterial;
  /** Path (e.g. `/validate/workspaces`) to handler. */
  readonly handlers: ReadonlyMap<string, AdmissionHandler>;
  /** Largest request body accepted; AdmissionReviews carry two objects of at most ~3 MiB each. */
  readonly maxBodyBytes?: number;
  /** Called after each answered review, for metrics and logs. */
  readonly onReviewed?: (path: string, review: AdmissionReview, elapsedMs: number) => void;
  readonly onError?: (path: string, error: Error) => void;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 32 * 1024 * 1024;

type Request = IncomingMessage | http2.Http2ServerRequest;
type Response = ServerResponse | http2.Http2ServerResponse;

export class WebhookServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http2.Http2SecureServer,
    readonly port: number,
    readonly host: string,
  ) {
    server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: WebhookServerOptions): Promise<WebhookServer> {
    const server = http2.createSecureServer(
      // HTTP/2's default 64 KiB windows would make hundreds of concurrent reviews on one connection wait for each other.
      { key: options.tls.keyPem, cert: options.tls.certPem, minVersion: 'TLSv1.2', allowHTTP1: true, settings: { initialWindowSize: STREAM_WINDOW } },
      (req: Request, res: Response) => void handle(req, res, options),
    );
    server.on('session', (session: http2.ServerHttp2Session) => session.setLocalWindowSize(CONNECTION_WINDOW));
    // Idle connections are closed after a while; the apiserver reopens them as needed.
    server.setTimeout(60_000);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new WebhookServer(server, (server.address() as AddressInfo).port, options.host);
  }

  /** Serves new handshakes with this certificate from now on. */
  setTls(tls: TlsMaterial): void {
    this.server.setSecureContext({ key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' });
  }

  get listening(): boolean {
    return this.server.listening;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }
}

async function handle(req: Request, res: Response, options: WebhookServerOptions): Promise<void> {
  const started = performance.now();
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'GET' && path === '/healthz') {
    send(res, 200, 'text/plain', 'ok\n');
    return;
  }
  const handler = options.handlers.get(path);
  if (!handler) {
    send(res, 404, 'text/plain', `no webhook at ${path}\n`);
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, 'text/plain', 'POST an AdmissionReview\n');
    return;
  }
  let body: string;
  try {
    body = await readBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY);
  } catch (err) {
    send(res, 413, 'text/plain', `${(err as Error).message}\n`);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    send(res, 400, 'text/plain', 'body is not JSON\n');
    return;
  }
  const parsed = parseAdmissionReview(json);
  if ('error' in parsed) {
    send(res, 400, 'text/plain', `${parsed.error}\n`);
    return;
  }
  let review: AdmissionReview;
  try {
    review = await handler(parsed.request);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    options.onError?.(path, error);
    review = internalErrorReview(parsed.request.uid, error.message);
  }
  send(res, 200, 'application/json', JSON.stringify(review));
  options.onReviewed?.(path, review, performance.now() - started);
}

function send(res: Response, status: number, contentType: string, body: string): void {
  if (res.headersSent) return;
  const headers = { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) };
  if (res instanceof http2.Http2ServerResponse) res.writeHead(status, headers).end(body);
  else res.writeHead(status, headers).end(body);
}

function readBody(req: Request, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
