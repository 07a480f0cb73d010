/**
 * What one PropagatedObject status write costs the control plane, against a
 * Deployment apply: the unit the syncer's and placement's numbers are made
 * of. A host-only control plane; 500 PropagatedObjects embedding their
 * Deployment (spec.template) and 500 referring to it (spec.sourceRef, as
 * generated ones do); their status written over twelve rounds, alternating
 * server-side apply, JSON merge patch, apply over HTTP/2 and apply to the
 * sourceRef ones (32 in flight); then 500 Deployment applies. Control-plane CPU is kube-apiserver +
 * etcd from /proc.
 *
 *   npx tsx bench/status-write-cost.bench.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { connect as connectHttp2 } from 'node:http2';
import { join } from 'node:path';
import { LocalEnvironment } from '../controlplane/launcher/index.js';
import { ApiClient, apply, Resources, type KubeObject } from '../src/runtime/index.js';
import { installCrds } from '../src/dev/manifests.js';
import { controlPlaneCpu } from './apiserver-metrics.js';

const N = 500;
const rows: Array<{ mode: string; wallMsPerObject: number; controlPlaneCpuMsPerObject: number }> = [];
const report = (mode: string, ms: number, cpuSeconds: number) => {
  const row = { mode, wallMsPerObject: Number((ms / N).toFixed(2)), controlPlaneCpuMsPerObject: Number(((cpuSeconds * 1000) / N).toFixed(2)) };
  rows.push(row);
  console.log(row.mode, 'wall ms/obj', row.wallMsPerObject, 'control-plane CPU ms/obj', row.controlPlaneCpuMsPerObject);
};
const env = await LocalEnvironment.start({ quiet: true, controllerManager: false, members: [] });
const cpu = () => controlPlaneCpu(env);
async function pool(limit: number, tasks: Array<() => Promise<unknown>>) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
  return performance.now() - t;
}
try {
  await installCrds(env.host.kubeConfig(), join('config', 'crd'));
  const host = new ApiClient(env.host.kubeConfig());
  await apply(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'm' } });
  const dep = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  });
  await pool(
    32,
    Array.from(
      { length: N },
      (_, i) => () =>
        apply(
          host,
          {
            apiVersion: 'canopy.dev/v1alpha1',
            kind: 'PropagatedObject',
            metadata: { name: `p${i}`, namespace: 'm' },
            spec: { template: dep(`p${i}`) },
          } as KubeObject,
          { resource: Resources.PropagatedObject },
        ),
    ),
  );
  await pool(
    32,
    Array.from(
      { length: N },
      (_, i) => () =>
        apply(
          host,
          {
            apiVersion: 'canopy.dev/v1alpha1',
            kind: 'PropagatedObject',
            metadata: { name: `s${i}`, namespace: 'm' },
            spec: { sourceRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `s${i}` } },
          } as KubeObject,
          { resource: Resources.PropagatedObject },
        ),
    ),
  );
  const status = (i: number, round: number) => ({
    placement: [
      { cluster: 'eu-1', replicas: 2 + round, reason: 'passed all filters; score 100 (Stability 100); 2 of 3 replica(s) (weight 1)' },
      { cluster: 'eu-2', replicas: 1, reason: 'passed all filters; score 100 (Stability 100); 1 of 3 replica(s) (weight 1)' },
    ],
    conditions: [
      {
        type: 'Scheduled',
        status: 'True',
        reason: 'Scheduled',
        message: `placed ${i} round ${round}`,
        lastTransitionTime: new Date().toISOString(),
        observedGeneration: 1,
      },
    ],
  });
  const tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; headers?: Record<string, string> } = {};
  await env.host.kubeConfig().applyToHTTPSOptions(tls as never);
  const session = connectHttp2(env.host.server, { ...(tls.ca ? { ca: tls.ca } : {}) });
  const h2 = (method: string, path: string, contentType: string, body: unknown) =>
    new Promise<void>((resolve, reject) => {
      const request = session.request({ ':method': method, ':path': path, 'content-type': contentType, accept: 'application/json', ...(tls.headers ?? {}) });
      request.on('response', (headers) => {
        if (Number(headers[':status']) >= 300) reject(new Error(`${method} ${path}: ${headers[':status']}`));
      });
      request.on('data', () => {});
      request.on('end', () => resolve());
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });
  for (let round = 0; round < 12; round++) {
    const mode = (['apply', 'merge', 'apply-h2', 'apply (spec.sourceRef)'] as const)[round % 4]!;
    if (mode === 'apply-h2') {
      const c0 = cpu();
      const ms = await pool(
        32,
        Array.from(
          { length: N },
          (_, i) => () =>
            h2(
              'PATCH',
              `/apis/canopy.dev/v1alpha1/namespaces/m/propagatedobjects/p${i}/status?fieldManager=x-placement&force=true`,
              'application/apply-patch+yaml',
              { apiVersion: 'canopy.dev/v1alpha1', kind: 'PropagatedObject', metadata: { name: `p${i}`, namespace: 'm' }, status: status(i, round) },
            ),
        ),
      );
      report(mode, ms, cpu() - c0);
      continue;
    }
    const c0 = cpu();
    const ms = await pool(
      32,
      Array.from(
        { length: N },
        (_, i) => () =>
          mode !== 'merge'
            ? apply(
                host,
                {
                  apiVersion: 'canopy.dev/v1alpha1',
                  kind: 'PropagatedObject',
                  metadata: { name: `${mode === 'apply' ? 'p' : 's'}${i}`, namespace: 'm' },
                  status: status(i, round),
                } as KubeObject,
                { resource: Resources.PropagatedObject, subresource: 'status', fieldManager: 'x-placement' },
              )
            : host.patch(Resources.PropagatedObject, `p${i}`, 'm', { status: status(i, round) }, 'merge', { subresource: 'status' }),
      ),
    );
    report(mode, ms, cpu() - c0);
  }
  const c0 = cpu();
  const ms = await pool(
    32,
    Array.from(
      { length: N },
      (_, i) => () =>
        apply(host, { ...dep(`d${i}`), metadata: { name: `d${i}`, namespace: 'm', labels: { app: `d${i}` } } } as KubeObject, {
          resource: Resources.Deployment,
        }),
    ),
  );
  report('deployment apply (HTTP/1.1)', ms, cpu() - c0);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/status-write-cost.json',
    `${JSON.stringify({ benchmark: 'status-write-cost', date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(1))), objects: N, inFlight: 32, rows }, null, 2)}\n`,
  );
  session.close();
  host.close();
} finally {
  await env.stop();
}
