import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: http.IncomingMessage) => Promise<{ status: number; body: string; contentType?: string }>;

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** A plain HTTP server for a few GET routes (/metrics, /healthz, /readyz). Port 0 picks a free port. */
export function serveRoutes(port: number, host: string, routes: ReadonlyMap<string, Route>): Promise<HttpEndpoint> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.get(path);
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    route(req).then(
      (answer) => res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'text/plain; charset=utf-8' }).end(answer.body),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`),
    );
  });
  // Probes and scrapes are short; do not let an idle keep-alive socket delay shutdown.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
