import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports this process handed out, so two callers never get the same one before either binds it. */
const handedOut = new Set<number>();

/** Linux's range for outgoing connections' local ports (`net.ipv4.ip_local_port_range`), if readable. */
export function ephemeralRange(path = '/proc/sys/net/ipv4/ip_local_port_range'): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    return low && high ? { low, high } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A free loopback port for a server to listen on later. Chosen below the
 * ephemeral range where the system has one: a port the kernel hands out for
 * bind(0) is also a candidate for the local end of any outgoing connection
 * (the apiservers and etcd open hundreds), which can take it between this
 * check and the server's bind — or while a stopped apiserver is down and
 * must come back on the same port.
 */
export async function freePort(): Promise<number> {
  const range = ephemeralRange();
  const low = 10_000;
  const high = range ? range.low - 1 : 0;
  if (high - low >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (handedOut.has(port) || (await portInUse(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return kernelChosenPort();
}

function kernelChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when something already listens on the loopback port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}
