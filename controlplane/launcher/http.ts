import { request } from 'node:https';

export interface ProbeResult {
  readonly status: number;
  readonly body: string;
}

/** GET over HTTPS with a bearer token and a pinned CA; no proxy, loopback only. */
export function httpsGet(url: string, options: { ca: string; token: string; timeoutMs?: number }): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      ca: options.ca,
      headers: { Authorization: `Bearer ${options.token}` },
      timeout: options.timeoutMs ?? 3000,
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${options.timeoutMs ?? 3000}ms`)));
    req.on('error', reject);
    req.end();
  });
}
