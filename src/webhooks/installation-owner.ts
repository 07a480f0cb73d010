/**
 * The object whose deletion means Canopy was uninstalled: the chart's
 * ClusterRole. What the operator creates for itself, outside any tenant's
 * objects — its webhook configurations and the generated certificate's
 * Secret — names it as owner, so `helm uninstall` takes them along through
 * the garbage collector. Without that, a fail-closed validating webhook that
 * nothing answers would be left behind, refusing writes to Canopy's kinds
 * and to pods in logical-cluster namespaces.
 *
 * The owner is looked up on every write (its uid changes when it is deleted
 * and created again, and a stale uid makes the collector delete the
 * dependent). When it does not exist the objects are written without an
 * owner: they must exist for the operator to work, and the next write
 * after the owner appears names it.
 */
import { Resources, type ApiClient, type OwnerReference } from '../runtime/index.js';

export class InstallationOwner {
  private warned = false;

  constructor(
    private readonly client: ApiClient,
    readonly clusterRoleName: string,
    private readonly log?: (message: string, fields?: Record<string, unknown>) => void,
  ) {}

  /** The owner reference to write, or undefined when the ClusterRole does not exist (said once in the log). */
  async reference(): Promise<OwnerReference | undefined> {
    const role = await this.client.tryGet(Resources.ClusterRole, this.clusterRoleName);
    const uid = role?.metadata?.uid;
    if (!uid) {
      if (!this.warned)
        this.log?.('installation owner not found: webhook configurations are written without an owner and outlive an uninstall', {
          clusterRole: this.clusterRoleName,
        });
      this.warned = true;
      return undefined;
    }
    this.warned = false;
    return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: this.clusterRoleName, uid };
  }
}
