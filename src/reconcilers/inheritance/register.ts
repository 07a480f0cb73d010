/**
 * Wires copying down the tree into the manager: the caches of every inherited
 * type (tracker), the type registry, the copy writer and the
 * `workspace-propagation` controller that plans and writes copies. The
 * Workspace feature (reconcilers/workspace/register.ts) calls it with the
 * shared hierarchy and routes tree and object events to it.
 */
import type { Hierarchy } from '../../hierarchy/hierarchy.js';
import { Resources, type Controller, type Informer, type Logger, type Manager } from '../../runtime/index.js';
import { ConflictRegistry } from './conflicts.js';
import { withHash } from './content.js';
import { CopyWriter } from './copy-writer.js';
import { isCopy } from './objects.js';
import { ALL_REQUEST, Propagator } from './reconciler.js';
import { ObjectTracker } from './tracker.js';
import { TypeRegistry } from './type-registry.js';

export interface InheritanceOptions {
  /** Copy writes in flight at once, across all propagation work; default 32. */
  readonly writeConcurrency?: number;
  /** Propagation keys planned at once; default 8 (they share the write budget). */
  readonly propagationConcurrency?: number;
  /** How often a type the operator may not handle is checked again; default 30 s. */
  readonly typeRecheckMs?: number;
  /** How often every copy is re-planned even without events; default 10 h. */
  readonly resyncPeriodMs?: number;
}

export interface Inheritance {
  readonly tracker: ObjectTracker;
  readonly types: TypeRegistry;
  readonly conflicts: ConflictRegistry;
  readonly writer: CopyWriter;
  readonly propagator: Propagator;
  readonly controller: Controller;
}

export function registerInheritance(manager: Manager, hierarchy: Hierarchy, logger: Logger, options: InheritanceOptions = {}): Inheritance {
  const client = manager.client;
  const forest = hierarchy.forest;
  const tracker = new ObjectTracker(client, logger, (object) => {
    const ns = object.metadata?.namespace ?? '';
    return forest.has(ns) && !isCopy({ labels: object.metadata?.labels });
  });
  const types = new TypeRegistry(client, logger, options.typeRecheckMs !== undefined ? { recheckMs: options.typeRecheckMs } : {});
  const conflicts = new ConflictRegistry();
  for (const { key, resource } of types.ready()) tracker.track(key, resource);
  const writer = new CopyWriter(
    {
      client,
      resource: (key) => {
        const state = types.get(key);
        return state && (state.state === 'ready' || state.state === 'forbidden') ? state.resource : undefined;
      },
      namespaceWritable: (ns) => hierarchy.namespaceWritable(ns),
      beginWrite: (ns, key) => tracker.beginWrite(ns, key),
      endWrite: (ns, key, result) => tracker.endWrite(ns, key, result === undefined || result === 'deleted' ? result : withHash(result.object, result.hash)),
    },
    options.writeConcurrency ?? 32,
  );

  let propagator: Propagator | undefined;
  const controller = manager.addController({
    name: 'workspace-propagation',
    // Workspace events themselves are routed by the hierarchy listener (reconcilers/workspace/event-routing.ts); their own keys are no-ops.
    for: Resources.Workspace,
    reconciler: (request, context) => (request.namespace === undefined ? Promise.resolve() : propagator!.reconcile(request, context)),
    watches: types.ready().map(({ key }) => ({ informer: tracker.informer(key)! as unknown as Informer, map: () => [] })),
    concurrency: options.propagationConcurrency ?? 8,
    resyncPeriodMs: 0,
  });
  const propagate = new Propagator({
    hierarchy,
    tracker,
    types,
    writer,
    conflicts,
    logger,
    enqueue: (request, delayMs) => (delayMs ? controller.enqueueAfter(request, delayMs) : controller.enqueue(request)),
  });
  propagator = propagate;
  // One full pass at start covers every event the caches replay meanwhile;
  // another now and then catches what no event reported (the runtime's resync idea).
  propagate.request(ALL_REQUEST);
  manager.addRunnable({
    name: 'workspace-propagation-resync',
    start: async (signal) => {
      const timer = setInterval(() => propagate.request(ALL_REQUEST), options.resyncPeriodMs ?? 10 * 3600_000);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      clearInterval(timer);
    },
  });
  types.onChange((key, state) => {
    if (state.state !== 'ready') return;
    const informer = tracker.track(key, state.resource);
    void informer.waitForSync().then(
      () => propagate.request(ALL_REQUEST),
      () => {},
    );
  });
  return { tracker, types, conflicts, writer, propagator: propagate, controller };
}
