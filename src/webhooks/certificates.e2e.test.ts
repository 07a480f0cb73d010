/**
 * Certificates in practice: a generated certificate is rotated at two thirds
 * of its life and a provided one is reloaded when its files change, both
 * while the real apiserver keeps calling the webhook: no request may fail
 * on TLS during the switch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { expect } from 'chai';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv } from '../../test/e2e/env.js';
import type { KubeObject } from '../runtime/index.js';
import { generateServingCertificate, splitPemBundle } from './certificates.js';
import { Actor, deleteConfiguration, errorCode, errorMessage, startWebhook, waitForEnforcement, type WebhookInstance } from '../../test/support/admission.js';

/** Serial number of the certificate a TLS server presents right now. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
      socket.end();
    });
    socket.on('error', reject);
  });
}

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber.toUpperCase();

/**
 * Sends a request the webhook must deny, over and over, until stopped;
 * collects every answer that is not that denial (a TLS failure would show up
 * here as "failed calling webhook").
 */
function keepAsking(admin: Actor, probe: KubeObject): { stop: () => Promise<{ asked: number; wrong: string[] }> } {
  let running = true;
  let asked = 0;
  const wrong: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        await admin.create(probe, { dryRun: true });
        wrong.push('admitted');
      } catch (err) {
        if (errorCode(err) !== 403 || !/denied the request/.test(errorMessage(err))) wrong.push(`${errorCode(err)} ${errorMessage(err)}`);
      }
      asked++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { asked, wrong };
    },
  };
}

describe('webhook certificates', function () {
  this.timeout(300_000);
  const id = Math.random().toString(36).slice(2, 7);
  const label = { 'canopy.dev/admission-test': `cert-${id}` };
  const probe = {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'Workspace',
    metadata: { name: `probe-${id}`, labels: label },
    spec: { parent: `missing-${id}` },
  } as KubeObject;
  let admin: Actor;
  let instance: WebhookInstance | undefined;
  const cleanup: (() => Promise<void>)[] = [];

  before(() => {
    admin = new Actor('admin', testEnv().host.kubeConfig());
  });

  afterEach(async () => {
    await instance?.stop();
    instance = undefined;
    for (const step of cleanup.splice(0)) await step();
  });

  it('rotates a generated certificate at two thirds of its validity, publishing the new CA first', async () => {
    const configurationName = `canopy-validating-rotation-${id}`;
    const secretName = `canopy-webhook-tls-rotation-${id}`;
    cleanup.push(() => deleteConfiguration(configurationName));
    cleanup.push(() => admin.deleteIfExists({ apiVersion: 'v1', kind: 'Secret', name: secretName, namespace: 'canopy-system' }));
    instance = await startWebhook({
      configurationName,
      certificates: { secretName, validityMs: 30_000 },
      webhooks: ['workspaces'],
      objectSelector: { matchLabels: label },
      caPropagationDelayMs: 1_000,
    });
    await waitForEnforcement(probe);
    const port = instance.runnable.port!;
    const before = await servedSerial(port);
    const asking = keepAsking(admin, probe);
    const rotated = await waitUntil(60_000, 250, async () => (await servedSerial(port)) !== before);
    await new Promise((r) => setTimeout(r, 3_000)); // keep asking a little after the switch
    const { asked, wrong } = await asking.stop();
    expect(rotated, 'the certificate was not rotated within 60 s').to.equal(true);
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
    expect(asked).to.be.greaterThan(20);

    const secret = await admin.get<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      name: secretName,
      namespace: 'canopy-system',
    });
    const stored = Buffer.from(secret.data['tls.crt']!, 'base64').toString();
    expect(serialOf(stored)).to.equal(await servedSerial(port));
    const configuration = await admin.get<KubeObject & { webhooks: { clientConfig: { caBundle: string } }[] }>({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      name: configurationName,
    });
    const bundle = splitPemBundle(Buffer.from(configuration.webhooks[0]!.clientConfig.caBundle, 'base64').toString());
    expect(bundle, 'caBundle holds the new and the previous CA').to.have.length(2);
  });

  it('reloads a provided certificate when its files change', async () => {
    const configurationName = `canopy-validating-files-${id}`;
    const dir = mkdtempSync(join(tmpdir(), 'canopy-webhook-certs-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    cleanup.push(() => deleteConfiguration(configurationName));
    const write = (cert: { certPem: string; keyPem: string }, caBundle: string): void => {
      writeFileSync(join(dir, 'ca.crt'), caBundle);
      writeFileSync(join(dir, 'tls.key'), cert.keyPem);
      writeFileSync(join(dir, 'tls.crt'), cert.certPem);
    };
    const first = await generateServingCertificate({ hosts: ['127.0.0.1'], validityMs: 3600_000 });
    write(first, first.caPem);
    instance = await startWebhook({
      configurationName,
      certificates: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt'), pollMs: 500 },
      webhooks: ['workspaces'],
      objectSelector: { matchLabels: label },
      caPropagationDelayMs: 1_000,
    });
    await waitForEnforcement(probe);
    const port = instance.runnable.port!;
    expect(await servedSerial(port)).to.equal(serialOf(first.certPem));

    const asking = keepAsking(admin, probe);
    const second = await generateServingCertificate({ hosts: ['127.0.0.1'], validityMs: 3600_000 });
    write(second, second.caPem + first.caPem); // as cert-manager does: the bundle keeps the old CA during the switch
    const reloaded = await waitUntil(30_000, 200, async () => (await servedSerial(port)) === serialOf(second.certPem));
    await new Promise((r) => setTimeout(r, 2_000));
    const { wrong } = await asking.stop();
    expect(reloaded, 'the new files were not picked up within 30 s').to.equal(true);
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });
});
