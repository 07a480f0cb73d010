import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { RequestOptions } from 'node:https';
import { KubeConfig as ClientKubeConfig } from '@kubernetes/client-node';
import { KubeConfig } from './kubeconfig.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** What a request would carry, in comparable form. */
async function applied(source: { applyToHTTPSOptions(o: RequestOptions): Promise<void> }): Promise<Record<string, unknown>> {
  const options: RequestOptions = {};
  await source.applyToHTTPSOptions(options);
  const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
  return {
    ca: text(options.ca),
    cert: text(options.cert),
    key: text(options.key),
    rejectUnauthorized: options.rejectUnauthorized,
    servername: options.servername,
    auth: options.auth,
    authorization: (options.headers as Record<string, string> | undefined)?.['Authorization'],
    impersonate: (options.headers as Record<string, string> | undefined)?.['Impersonate-User'],
  };
}

function config(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443/' }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'team-a' } }],
    'current-context': 'ctx',
  });
}

describe('runtime/kubeconfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'canopy-kubeconfig-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads what @kubernetes/client-node reads for token, certificate, basic-auth and TLS settings', async () => {
    const cases = [
      config({ token: 'abc' }, { server: 'https://10.0.0.1:6443/', 'certificate-authority-data': b64('CA') }),
      config(
        { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY'), as: 'jane' },
        { server: 'https://h:6443', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' },
      ),
      config({ username: 'admin', password: 's3cret' }),
    ];
    for (const text of cases) {
      const ours = new KubeConfig();
      ours.loadFromString(text);
      const theirs = new ClientKubeConfig();
      theirs.loadFromString(text);
      expect(ours.getCurrentCluster()).to.deep.include({
        name: 'c',
        server: theirs.getCurrentCluster()?.server,
        skipTLSVerify: theirs.getCurrentCluster()?.skipTLSVerify,
      });
      expect(await applied(ours), text).to.deep.equal(await applied(theirs));
    }
  });

  it('resolves relative file paths against the kubeconfig file and re-reads a token file on every use', async () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA-FILE');
    writeFileSync(join(dir, 'client.pem'), 'CERT-FILE');
    writeFileSync(join(dir, 'client.key'), 'KEY-FILE');
    writeFileSync(join(dir, 'token'), 'first\n');
    const file = join(dir, 'config');
    writeFileSync(
      file,
      config(
        { 'client-certificate': 'client.pem', 'client-key': 'client.key', tokenFile: 'token' },
        { server: 'https://h', 'certificate-authority': 'ca.pem' },
      ),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    expect(kc.getCurrentCluster()?.caFile).to.equal(join(dir, 'ca.pem'));
    expect(kc.getCurrentNamespace()).to.equal('team-a');
    expect(await applied(kc)).to.deep.include({ ca: 'CA-FILE', cert: 'CERT-FILE', key: 'KEY-FILE', authorization: 'Bearer first' });
    writeFileSync(join(dir, 'token'), 'rotated\n');
    expect((await applied(kc))['authorization']).to.equal('Bearer rotated');
  });

  it('merges a KUBECONFIG list the way kubectl does: missing files skipped, the first entry of a name and the first current-context win', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(
      a,
      JSON.stringify({
        clusters: [{ name: 'shared', cluster: { server: 'https://from-a' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'shared', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    writeFileSync(
      b,
      JSON.stringify({
        clusters: [
          { name: 'shared', cluster: { server: 'https://from-b' } },
          { name: 'other', cluster: { server: 'https://other' } },
        ],
        contexts: [{ name: 'y', context: { cluster: 'other', user: 'u' } }],
        'current-context': 'y',
      }),
    );
    const kc = new KubeConfig();
    kc.loadFromDefault({ KUBECONFIG: `${a}:${join(dir, 'missing')}:${b}`, HOME: dir });
    expect(kc.getCurrentContext()).to.equal('x');
    expect(kc.getCurrentCluster()?.server).to.equal('https://from-a');
    // As kubectl: a listed file that does not exist is skipped; none existing is an error.
    expect(() => new KubeConfig().loadFromDefault({ KUBECONFIG: join(dir, 'missing'), HOME: dir })).to.throw(/names no existing file/);
  });

  it('uses the in-cluster service account when there is no kubeconfig, and says so when there is none at all', async () => {
    writeFileSync(join(dir, 'token'), 'sa-token');
    writeFileSync(join(dir, 'ca.crt'), 'SA-CA');
    writeFileSync(join(dir, 'namespace'), 'canopy-system');
    const kc = new KubeConfig();
    kc.loadFromCluster(dir, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' });
    expect(kc.getCurrentCluster()?.server).to.equal('https://[fd00::1]:443');
    expect(kc.getCurrentNamespace()).to.equal('canopy-system');
    expect(await applied(kc)).to.deep.include({ ca: 'SA-CA', authorization: 'Bearer sa-token' });
    // HOME without ~/.kube/config and no KUBECONFIG: only a pod's service account is left (absent here).
    expect(() => new KubeConfig().loadFromDefault({ HOME: dir })).to.throw(/no kubeconfig/);
  });

  it('names the broken entry of an invalid kubeconfig', () => {
    expect(() => new KubeConfig().loadFromString(JSON.stringify({ clusters: [{ name: 'c', cluster: {} }] }))).to.throw(
      /clusters\[0\]\.cluster\.server is missing/,
    );
    const kc = new KubeConfig();
    kc.loadFromString(JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://h' } }] }));
    expect(kc.getCurrentCluster()).to.equal(null);
  });

  it('hands a user whose credentials come from an exec plugin to the client, which runs it', async () => {
    const plugin = join(dir, 'credential-plugin.mjs');
    writeFileSync(
      plugin,
      `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-plugin' } }));`,
    );
    const kc = new KubeConfig();
    kc.loadFromString(
      config(
        { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } },
        { server: 'https://h', 'certificate-authority-data': b64('CA') },
      ),
    );
    expect(await applied(kc)).to.deep.include({ ca: 'CA', authorization: 'Bearer from-plugin' });
  });
});

/**
 * Two libraries cost the operator ~40 and ~20 MiB of resident memory and are
 * needed only sometimes: the client's KubeConfig for plugin users (see
 * kubeconfig.ts) and @peculiar/x509 for generating a webhook certificate (see
 * webhooks/certificates.ts). No module the operator's entry point reaches may
 * import them statically. Follows the static imports of the source (an
 * `import type` is erased; everything else is loaded).
 */
describe('operator entry point', () => {
  const LAZY = ['@kubernetes/client-node', '@peculiar/x509', 'reflect-metadata'];
  it('loads neither @kubernetes/client-node nor @peculiar/x509 at startup', () => {
    const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      const specifiers = [...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)].map((m) => m[1] ?? '');
      for (const specifier of specifiers) {
        if (LAZY.some((p) => specifier.startsWith(p))) offenders.push(`${relative(root, file)} imports ${specifier}`);
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(root, 'main.ts'));
    expect(seen.size, 'modules reached from src/main.ts').to.be.greaterThan(50);
    expect(offenders).to.deep.equal([]);
  });
});
