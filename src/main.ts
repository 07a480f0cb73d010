import { KubeConfig } from './runtime/kubeconfig.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger, Manager, runUntilSignal } from './runtime/index.js';
import { registerReconcilers, registrations } from './reconcilers/index.js';
import { DEFAULT_FINALIZER_TIMEOUT_MS, parseFinalizerTimeoutSeconds } from './runtime/finalizer-timeout.js';
import { register as registerWebhook, webhookOptionsFromEnv } from './webhooks/index.js';
import { gatewayOptionsFromEnv, register as registerGateway, type GatewayHandle } from './gateway/index.js';

/**
 * The operator process: builds the Manager from KUBECONFIG (or the in-cluster
 * service account), registers every feature and runs until SIGTERM/SIGINT.
 * Every flag has an environment variable, for the Helm chart.
 */
function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535 (0 = any free port)');
  return n;
}

function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('a duration looks like 15s, 1500ms or 2m');
  const n = Number(match[1]);
  return match[2] === 'ms' ? n : match[2] === 'm' ? n * 60_000 : n * 1000;
}

function finalizerTimeout(value: string): number {
  try {
    return parseFinalizerTimeoutSeconds(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function bool(value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}

const program = new Command('canopy-operator')
  .description('Canopy operator: workspaces, logical clusters, placement and propagation')
  .addOption(new Option('--namespace <ns>', 'namespace the operator runs in').env('CANOPY_NAMESPACE').default('canopy-system'))
  .addOption(new Option('--metrics-port <port>', '/metrics port (0 = any free port)').env('CANOPY_METRICS_PORT').argParser(port).default(8080))
  .addOption(new Option('--health-port <port>', '/healthz and /readyz port (0 = any free port)').env('CANOPY_HEALTH_PORT').argParser(port).default(8081))
  .addOption(new Option('--bind-address <addr>', 'address the HTTP servers listen on').env('CANOPY_BIND_ADDRESS').default('0.0.0.0'))
  .addOption(new Option('--leader-elect <bool>', 'elect a leader among replicas').env('CANOPY_LEADER_ELECT').argParser(bool).default(true))
  .addOption(new Option('--leader-election-id <name>', 'name of the Lease').env('CANOPY_LEADER_ELECTION_ID').default('canopy-leader'))
  .addOption(new Option('--lease-duration <d>', 'lease validity').env('CANOPY_LEASE_DURATION').argParser(duration).default(15_000, '15s'))
  .addOption(
    new Option('--renew-deadline <d>', 'leader gives up after failing to renew this long')
      .env('CANOPY_RENEW_DEADLINE')
      .argParser(duration)
      .default(10_000, '10s'),
  )
  .addOption(new Option('--retry-period <d>', 'interval of lease attempts').env('CANOPY_RETRY_PERIOD').argParser(duration).default(2_000, '2s'))
  .addOption(
    new Option('--graceful-shutdown-timeout <d>', 'time for in-flight reconciles on shutdown')
      .env('CANOPY_GRACEFUL_SHUTDOWN_TIMEOUT')
      .argParser(duration)
      .default(30_000, '30s'),
  )
  .addOption(
    new Option('--webhook <bool>', 'serve the admission webhook (configured by CANOPY_WEBHOOK_* variables)')
      .env('CANOPY_WEBHOOK')
      .argParser(bool)
      .default(true),
  )
  .addOption(
    new Option('--gateway <bool>', 'serve the tenant gateway (configured by CANOPY_GATEWAY_* variables)').env('CANOPY_GATEWAY').argParser(bool).default(true),
  )
  .addOption(
    new Option('--tenant-kubeconfig <where>', 'where tenant kubeconfigs point: the gateway, or the apiserver directly (default: gateway when it is on)')
      .env('CANOPY_TENANT_KUBECONFIG')
      .choices(['gateway', 'direct']),
  )
  .addOption(new Option('--max-member-clusters <n>', 'member cluster clients kept open').env('CANOPY_MAX_MEMBER_CLUSTERS').argParser(port).default(64))
  .addOption(
    new Option('--finalizer-timeout <seconds>', 'a deletion waiting for unreachable member clusters releases its finalizer after this long')
      .env('CANOPY_FINALIZER_TIMEOUT_SECONDS')
      .argParser(finalizerTimeout)
      .default(DEFAULT_FINALIZER_TIMEOUT_MS, '600'),
  )
  .addOption(
    new Option('--allow-member-kubeconfig-plugins <bool>', 'accept member kubeconfigs that run exec/auth-provider plugins or read files')
      .env('CANOPY_ALLOW_MEMBER_KUBECONFIG_PLUGINS')
      .argParser(bool)
      .default(false),
  );

async function main(): Promise<number> {
  program.parse();
  const flags = program.opts<{
    namespace: string;
    metricsPort: number;
    healthPort: number;
    bindAddress: string;
    leaderElect: boolean;
    leaderElectionId: string;
    leaseDuration: number;
    renewDeadline: number;
    retryPeriod: number;
    gracefulShutdownTimeout: number;
    maxMemberClusters: number;
    allowMemberKubeconfigPlugins: boolean;
    webhook: boolean;
    gateway: boolean;
    tenantKubeconfig?: 'gateway' | 'direct';
    finalizerTimeout: number;
  }>();
  const logger = createLogger();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault(); // KUBECONFIG, ~/.kube/config, then the in-cluster service account
  const manager = new Manager({
    kubeConfig,
    namespace: flags.namespace,
    logger,
    metricsPort: flags.metricsPort,
    healthPort: flags.healthPort,
    bindAddress: flags.bindAddress,
    gracefulShutdownTimeoutMs: flags.gracefulShutdownTimeout,
    maxMemberClusters: flags.maxMemberClusters,
    allowMemberKubeconfigPlugins: flags.allowMemberKubeconfigPlugins,
    leaderElection: flags.leaderElect && {
      leaseName: flags.leaderElectionId,
      leaseDurationMs: flags.leaseDuration,
      renewDeadlineMs: flags.renewDeadline,
      retryPeriodMs: flags.retryPeriod,
    },
  });
  const tenantKubeconfig = flags.tenantKubeconfig ?? (flags.gateway ? 'gateway' : 'direct');
  if (tenantKubeconfig === 'gateway' && !flags.gateway)
    throw new Error('CANOPY_TENANT_KUBECONFIG=gateway needs the gateway: set CANOPY_GATEWAY=true, or choose direct');
  let gateway: GatewayHandle | undefined;
  registerReconcilers(manager, registrations, {
    finalizerTimeoutMs: flags.finalizerTimeout,
    // Resolved per issue: the gateway is registered below and reports its URL and CA once it listens.
    ...(tenantKubeconfig === 'gateway' ? { tenantKubeconfigEndpoint: () => gateway?.endpoint() } : {}),
  });
  // Admission runs on every replica (not only the leader): the apiserver may call any of them.
  if (flags.webhook) registerWebhook(manager, webhookOptionsFromEnv());
  // The tenant gateway also serves on every replica, behind the chart's Service.
  if (flags.gateway) gateway = registerGateway(manager, gatewayOptionsFromEnv());
  // Like controller-runtime's panic recovery: a bug in one reconcile's stray promise is logged and
  // counted by the work queue's retry, never a crash of every controller in the process.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection; the operator keeps running'));
  logger.info({ server: kubeConfig.getCurrentCluster()?.server, namespace: flags.namespace, leaderElection: flags.leaderElect }, 'starting canopy operator');
  await manager.start();
  return runUntilSignal(manager);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`canopy: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
