import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { expect } from 'chai';
import { ADMISSION_API_VERSION, parseAdmissionReview, reviewFor, type AdmissionRequest } from './admission.js';
import { certificateInfo, generateServingCertificate, needsRotation, rotationTime, splitPemBundle, type ServingCertificate } from './certificates.js';
import { WebhookServer } from './server.js';
import { deny } from '../admission/verdict.js';

interface Answer {
  status: number;
  body: string;
  serial: string;
}

function post(port: number, ca: string, path: string, body: string, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, method, ca, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, serial }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const review = (request: Partial<AdmissionRequest>): string =>
  JSON.stringify({
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      ...request,
    },
  });

describe('webhook server and certificates', function () {
  this.timeout(20_000);
  let first: ServingCertificate;
  let server: WebhookServer;

  before(async () => {
    first = await generateServingCertificate({ hosts: ['127.0.0.1', 'canopy-webhook.canopy-system.svc'], validityMs: 3600_000 });
    server = await WebhookServer.start({
      host: '127.0.0.1',
      port: 0,
      tls: first,
      handlers: new Map([
        ['/validate/pods', async (r: AdmissionRequest) => reviewFor(r.uid, deny('pod/test', 'spec.hostNetwork', `denied for ${r.userInfo.username}`))],
        [
          '/validate/boom',
          async () => {
            throw new Error('validator bug');
          },
        ],
      ]),
    });
  });

  after(() => server.close());

  it('issues a serving certificate for every host, signed by its CA', () => {
    const info = certificateInfo(first.certPem);
    expect(info.hosts).to.deep.equal(['127.0.0.1', 'canopy-webhook.canopy-system.svc']);
    expect(splitPemBundle(first.caPem + first.caPem)).to.have.length(2);
    expect(needsRotation(info, ['127.0.0.1'])).to.equal(undefined);
    expect(needsRotation(info, ['other.svc'])).to.contain('does not cover other.svc');
    expect(needsRotation(info, ['127.0.0.1'], new Date(rotationTime(info.notBefore, info.notAfter).getTime() + 1))).to.contain('two thirds');
  });

  it('answers an AdmissionReview with the verdict, over TLS the CA verifies', async () => {
    const answer = await post(server.port, first.caPem, '/validate/pods', review({}));
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.body)).to.deep.equal({
      apiVersion: ADMISSION_API_VERSION,
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'spec.hostNetwork: denied for alice' } },
    });
  });

  it('turns a handler failure into a fail-closed 500 review, and rejects what is not a review', async () => {
    const boom = JSON.parse((await post(server.port, first.caPem, '/validate/boom', review({}))).body);
    expect(boom.response).to.deep.include({ uid: 'u-1', allowed: false });
    expect(boom.response.status).to.deep.equal({ code: 500, reason: 'InternalError', message: 'canopy admission failed: validator bug' });
    expect((await post(server.port, first.caPem, '/validate/pods', 'not json')).status).to.equal(400);
    expect((await post(server.port, first.caPem, '/validate/pods', JSON.stringify({ kind: 'AdmissionReview' }))).status).to.equal(400);
    expect((await post(server.port, first.caPem, '/validate/nope', review({}))).status).to.equal(404);
    expect((await post(server.port, first.caPem, '/validate/pods', '', 'GET')).status).to.equal(405);
  });

  it('swaps its certificate without restarting', async () => {
    const second = await generateServingCertificate({ hosts: ['127.0.0.1'], validityMs: 3600_000 });
    server.setTls(second);
    const answer = await post(server.port, splitPemBundle(second.caPem + first.caPem).join(''), '/validate/pods', review({}));
    expect(answer.status).to.equal(200);
    expect(answer.serial.toLowerCase()).to.equal(new (await import('node:crypto')).X509Certificate(second.certPem).serialNumber.toLowerCase());
    await post(server.port, first.caPem, '/validate/pods', review({})).then(
      () => expect.fail('the old CA alone must no longer verify the new certificate'),
      (err: Error) => expect(err.message).to.match(/certificate|self.signed|verify/i),
    );
  });

  it('parses requests defensively', () => {
    expect(parseAdmissionReview(null)).to.deep.equal({ error: 'body is not a JSON object' });
    expect(parseAdmissionReview({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' })).to.have.property('error');
    expect(parseAdmissionReview(JSON.parse(review({ operation: 'PATCH' as never })))).to.deep.equal({ error: 'request.operation is missing or unknown' });
    const ok = parseAdmissionReview(JSON.parse(review({ userInfo: undefined as never })));
    expect('request' in ok && ok.request.userInfo).to.deep.equal({});
  });
});
