import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../controlplane/launcher/index.js';

/** Which lines of a ```sh block count as commands: kubectl, optionally also the kubectl-canopy plugin run through npx. */
const KUBECTL = /^kubectl\s/;
const KUBECTL_OR_PLUGIN = /^(kubectl|npx kubectl-canopy)\s/;

function shellLines(markdown: string, command: RegExp): string[] {
  const commands: string[] = [];
  let inShell = false;
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('```')) {
      inShell = !inShell && /^```(sh|bash|shell)\s*$/.test(line);
      continue;
    }
    // A comment starts at " #" outside quotes; the commands here quote no "#".
    if (inShell && command.test(line)) commands.push(line.replace(/\s+#.*$/, ''));
  }
  return commands;
}

/**
 * The `kubectl` command lines of a README's ```sh blocks, in order, without
 * their trailing comments: what `npm start`'s banner shows and what the
 * quickstart e2e test runs, so the documented commands are the tested ones.
 */
export function kubectlCommands(markdown: string): string[] {
  return shellLines(markdown, KUBECTL);
}

/** Like kubectlCommands, plus the `npx kubectl-canopy ...` lines, in README order. */
export function readmeCommands(markdown: string): string[] {
  return shellLines(markdown, KUBECTL_OR_PLUGIN);
}

/** The README of examples/<folder>. */
export function exampleReadme(folder: string): string {
  return readFileSync(join(repoRoot, 'examples', folder, 'README.md'), 'utf8');
}

/** The quickstart's commands, from examples/quickstart/README.md. */
export function quickstartCommands(): string[] {
  return kubectlCommands(exampleReadme('quickstart'));
}
