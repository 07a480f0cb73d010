import { ApiClient } from '../runtime/http.js';
import { KubeConfig } from '../runtime/kubeconfig.js';
import { CliError, describeError } from './errors.js';

/** kubectl's connection flags, as every command receives them. */
export interface GlobalOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
}

/**
 * One command's connection: the kubeconfig chosen as kubectl chooses it
 * (--kubeconfig, else $KUBECONFIG, else ~/.kube/config; --context, else the
 * current context), the namespace (-n, else the context's, else `default`)
 * and a client that is closed when the command ends, so the process exits.
 */
export class Session {
  private apiClient: ApiClient | undefined;

  private constructor(
    readonly kubeConfig: KubeConfig,
    readonly namespace: string,
    /** -n was given: commands that list all namespaces by default narrow to it. */
    readonly namespaceGiven: boolean,
  ) {}

  static open(options: GlobalOptions): Session {
    const kc = new KubeConfig();
    try {
      if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
      else kc.loadFromDefault();
    } catch (err) {
      if (options.kubeconfig && (err as { code?: unknown }).code === 'ENOENT') throw new CliError(`kubeconfig ${options.kubeconfig} does not exist`);
      throw new CliError(`cannot load the kubeconfig: ${describeError(err)}`);
    }
    if (options.context) {
      try {
        kc.setCurrentContext(options.context);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
    }
    if (!kc.getCurrentCluster()) throw new CliError('the kubeconfig has no current context with a cluster: pass --context, or set current-context');
    return new Session(kc, options.namespace ?? kc.getCurrentNamespace() ?? 'default', options.namespace !== undefined);
  }

  get client(): ApiClient {
    this.apiClient ??= new ApiClient(this.kubeConfig);
    return this.apiClient;
  }

  get server(): string {
    return this.kubeConfig.getCurrentCluster()?.server ?? '';
  }

  close(): void {
    this.apiClient?.close();
  }
}

/** Runs `body` with a session and always closes it; errors carry the server for the "cannot reach" hint. */
export async function withSession<T>(options: GlobalOptions, body: (session: Session) => Promise<T>): Promise<T> {
  const session = Session.open(options);
  try {
    return await body(session);
  } catch (err) {
    throw err instanceof CliError ? err : new CliError(describeError(err, session.server));
  } finally {
    session.close();
  }
}
