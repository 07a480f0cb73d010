import { expect } from 'chai';
import { testEnv, uniqueName } from '../../test/e2e/env.js';
import { ApiError } from './errors.js';
import { ApiClient } from './http.js';
import { resourcePath, Resources } from './resources.js';

describe('ApiClient.find (real apiserver)', () => {
  let admin: ApiClient;
  let stranger: ApiClient;
  let namespace: string;

  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    stranger = new ApiClient(testEnv().host.userKubeConfig('alice'));
    namespace = uniqueName('find');
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await admin.create(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'present', namespace } });
  });

  after(async () => {
    await admin.delete(Resources.Namespace, namespace);
    admin.close();
    stranger.close();
  });

  it('returns the object when it exists, from the watch cache when asked', async () => {
    const found = await admin.find<{ metadata?: { name?: string } }>(resourcePath(Resources.ConfigMap, namespace, 'present'), {
      query: { resourceVersion: '0' },
    });
    expect(found?.metadata?.name).to.equal('present');
  });

  it('returns undefined for a name that does not exist', async () => {
    expect(await admin.find(resourcePath(Resources.ConfigMap, namespace, 'absent'))).to.equal(undefined);
  });

  it('still throws for every other answer (403 for a user without rights)', async () => {
    const err = await stranger.find(resourcePath(Resources.ConfigMap, namespace, 'present')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).code).to.equal(403);
  });
});
