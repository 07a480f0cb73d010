#!/usr/bin/env node
// kubectl plugin entry: `kubectl canopy tree` once this file is on PATH as kubectl-canopy.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/run.ts');
