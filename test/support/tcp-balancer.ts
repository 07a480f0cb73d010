/**
 * A TCP front for several local backends, standing in for the Service that
 * spreads the apiserver's webhook calls over the operator's replicas: each
 * connection goes to a live backend (tried in random order), so a replica
 * killed mid-run costs the apiserver one failed call, not an outage.
 * TLS passes through untouched (the replicas share one serving certificate).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpBalancer {
  private readonly backends = new Set<number>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  /** Ports the balancer may send connections to (set as replicas come and go). */
  setBackends(ports: Iterable<number>): void {
    this.backends.clear();
    for (const p of ports) this.backends.add(p);
  }

  async start(): Promise<number> {
    const server = createServer((client) => this.forward(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.pause();
    const order = [...this.backends].sort(() => Math.random() - 0.5);
    const attempt = (i: number): void => {
      if (i >= order.length) {
        client.destroy();
        return;
      }
      const upstream = connect(order[i]!, '127.0.0.1');
      // A refused connection (that replica is down) moves on to the next backend.
      upstream.once('error', () => attempt(i + 1));
      upstream.once('connect', () => {
        this.sockets.add(upstream);
        upstream.on('close', () => this.sockets.delete(upstream));
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }
}
