/**
 * `canopy/runtime`: the controller runtime Canopy's own reconcilers run on —
 * manager, informers, work queues, leader election, clients and apply helpers,
 * conditions, events, metrics and logging — for reconcilers that live in
 * another repository and run as their own process (docs/extending.md).
 *
 * Semver-stable: what this file exports changes only with a major version.
 * Everything else in the package is internal.
 */
export * from '../runtime/index.js';
