/**
 * `completion bash|zsh|fish`: scripts generated from the declared commands
 * and flags (commander has no completion of its own), so a new flag is
 * completed without editing this file. Values are completed where they are
 * known without a request: -o formats, files, kubeconfig contexts (through
 * kubectl, when it is installed), the shells of `completion`.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the scripts are bash, zsh and fish, where ${...} is the shell's own expansion
import type { Command, Option } from 'commander';
import { CliError } from './errors.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

interface FlagSpec {
  readonly short?: string;
  readonly long?: string;
  readonly takesValue: boolean;
  readonly choices?: readonly string[];
  readonly files: boolean;
  readonly contexts: boolean;
  readonly description: string;
}

interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  /** Values of the first argument, when they are a fixed list. */
  readonly values: readonly string[];
}

const FILE_FLAGS = new Set(['--kubeconfig', '--kubeconfig-file', '--write']);

function flag(option: Option): FlagSpec {
  return {
    ...(option.short ? { short: option.short } : {}),
    ...(option.long ? { long: option.long } : {}),
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: option.argChoices } : {}),
    files: FILE_FLAGS.has(option.long ?? ''),
    contexts: option.long === '--context',
    description: option.description,
  };
}

const HELP: FlagSpec = { short: '-h', long: '--help', takesValue: false, files: false, contexts: false, description: 'help for the command' };

/** Every command as a flat list: `dev up` is `dev up`, with the program's own flags first as the "" command. */
export function commandSpecs(program: Command): { globals: readonly FlagSpec[]; commands: readonly CommandSpec[] } {
  const globals = [...program.options.map(flag), HELP];
  const commands: CommandSpec[] = [];
  const walk = (command: Command, prefix: string) => {
    for (const sub of command.commands) {
      const name = `${prefix}${sub.name()}`;
      commands.push({
        name,
        description: sub.description(),
        flags: [...sub.options.map(flag), HELP],
        values: sub.name() === 'completion' ? [...SHELLS] : sub.commands.map((c) => c.name()),
      });
      walk(sub, `${name} `);
    }
  };
  walk(program, '');
  return { globals, commands };
}

export function completionScript(shell: string, program: Command): string {
  const specs = commandSpecs(program);
  const bin = program.name();
  switch (shell) {
    case 'bash':
      return bashScript(bin, specs);
    case 'zsh':
      return zshScript(bin, specs);
    case 'fish':
      return fishScript(bin, specs);
    default:
      throw new CliError(`completion: unknown shell "${shell}"; one of ${SHELLS.join(', ')}`);
  }
}

const names = (flags: readonly FlagSpec[]) => flags.flatMap((f) => [f.short, f.long].filter((x): x is string => !!x));
const ident = (bin: string) => bin.replace(/[^A-Za-z0-9]/g, '_');
const firstLine = (text: string) => (text.split('\n')[0] ?? '').replace(/\s+/g, ' ').slice(0, 100);

function bashValueCases(flags: readonly FlagSpec[], indent: string): string[] {
  const lines: string[] = [];
  for (const f of flags.filter((x) => x.takesValue)) {
    const pattern = names([f]).join('|');
    const action = f.choices
      ? `COMPREPLY=($(compgen -W "${f.choices.join(' ')}" -- "$cur"))`
      : f.files
        ? 'COMPREPLY=($(compgen -f -- "$cur"))'
        : f.contexts
          ? 'COMPREPLY=($(compgen -W "$(kubectl config get-contexts -o name 2>/dev/null)" -- "$cur"))'
          : 'COMPREPLY=()';
    lines.push(`${indent}${pattern}) ${action}; return ;;`);
  }
  return lines;
}

function bashScript(bin: string, { globals, commands }: ReturnType<typeof commandSpecs>): string {
  const fn = `_${ident(bin)}`;
  const top = commands.filter((c) => !c.name.includes(' '));
  const out = [
    `# bash completion for ${bin}: source <(${bin} completion bash)`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in',
    `      ${top.map((c) => c.name).join('|')}) [ -z "$cmd" ] && cmd="\${COMP_WORDS[i]}" ;;`,
    ...commands
      .filter((c) => c.name.includes(' '))
      .map((c) => `      ${c.name.split(' ').pop()}) [ "$cmd" = "${c.name.split(' ').slice(0, -1).join(' ')}" ] && cmd="${c.name}" ;;`),
    '    esac',
    '  done',
    '  case "$prev" in',
    ...bashValueCases(globals, '    '),
    '  esac',
    '  case "$cmd" in',
    `    "") COMPREPLY=($(compgen -W "${[...top.map((c) => c.name), ...names(globals)].join(' ')}" -- "$cur")) ;;`,
  ];
  for (const c of commands) {
    out.push(`    "${c.name}")`);
    out.push('      case "$prev" in');
    out.push(...bashValueCases(c.flags, '        '));
    out.push('      esac');
    out.push(`      COMPREPLY=($(compgen -W "${[...c.values, ...names(c.flags), ...names(globals)].join(' ')}" -- "$cur")) ;;`);
  }
  out.push('  esac', '}', `complete -o default -F ${fn} ${bin}`, '');
  return out.join('\n');
}

const zq = (text: string) => text.replace(/'/g, "'\\''").replace(/[[\]:]/g, ' ');

function zshSpecs(flags: readonly FlagSpec[]): string[] {
  return flags.flatMap((f) =>
    names([f]).map((n) => {
      const value = !f.takesValue ? '' : f.choices ? `:value:(${f.choices.join(' ')})` : f.files ? ':file:_files' : ':value: ';
      return `'${n}[${zq(firstLine(f.description))}]${value}'`;
    }),
  );
}

function zshScript(bin: string, { globals, commands }: ReturnType<typeof commandSpecs>): string {
  const fn = `_${ident(bin)}`;
  const top = commands.filter((c) => !c.name.includes(' '));
  const out = [
    `#compdef ${bin}`,
    `# zsh completion for ${bin}: source <(${bin} completion zsh)`,
    `${fn}() {`,
    '  local cmd="" w',
    '  for w in ${words[2,CURRENT-1]}; do',
    '    case $w in',
    `      ${top.map((c) => c.name).join('|')}) [[ -z $cmd ]] && cmd=$w ;;`,
    ...commands
      .filter((c) => c.name.includes(' '))
      .map((c) => `      ${c.name.split(' ').pop()}) [[ $cmd == "${c.name.split(' ').slice(0, -1).join(' ')}" ]] && cmd="${c.name}" ;;`),
    '    esac',
    '  done',
    // _arguments numbers positional words from the command line's start: drop everything up to the command word.
    '  if [[ -n $cmd ]]; then',
    '    local i=${words[(i)${cmd##* }]}',
    '    words=(${words[1]} ${words[i+1,-1]})',
    '    (( CURRENT -= i - 1 ))',
    '  fi',
    '  case $cmd in',
    '    "")',
    `      local -a commands=(${top.map((c) => `'${c.name}:${zq(firstLine(c.description))}'`).join(' ')})`,
    `      _arguments ${zshSpecs(globals).join(' ')} '1: :{_describe command commands}' ;;`,
  ];
  for (const c of commands) {
    const values = c.values.length ? ` '1:value:(${c.values.join(' ')})'` : '';
    out.push(`    "${c.name}") _arguments ${[...zshSpecs(c.flags), ...zshSpecs(globals)].join(' ')}${values} '*:file:_files' ;;`);
  }
  out.push('  esac', '}', `compdef ${fn} ${bin}`, '');
  return out.join('\n');
}

const fq = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishFlag(bin: string, f: FlagSpec, condition?: string): string {
  const parts = [`complete -c ${bin}`];
  if (condition) parts.push(`-n ${fq(condition)}`);
  if (f.short) parts.push(`-s ${f.short.slice(1)}`);
  if (f.long) parts.push(`-l ${f.long.slice(2)}`);
  if (f.takesValue) parts.push(f.files ? '-r -F' : '-x');
  if (f.choices) parts.push(`-a ${fq(f.choices.join(' '))}`);
  if (f.contexts) parts.push(`-a ${fq('(kubectl config get-contexts -o name 2>/dev/null)')}`);
  parts.push(`-d ${fq(firstLine(f.description))}`);
  return parts.join(' ');
}

function fishScript(bin: string, { globals, commands }: ReturnType<typeof commandSpecs>): string {
  const top = commands.filter((c) => !c.name.includes(' '));
  const out = [`# fish completion for ${bin}: ${bin} completion fish | source`, `complete -c ${bin} -f`];
  for (const f of globals) out.push(fishFlag(bin, f));
  for (const c of top) out.push(`complete -c ${bin} -n '__fish_use_subcommand' -a ${c.name} -d ${fq(firstLine(c.description))}`);
  for (const c of commands) {
    const words = c.name.split(' ');
    const condition = `__fish_seen_subcommand_from ${words[words.length - 1]}`;
    if (c.values.length) out.push(`complete -c ${bin} -n ${fq(condition)} -a ${fq(c.values.join(' '))}`);
    for (const f of c.flags) if (f !== HELP) out.push(fishFlag(bin, f, condition));
  }
  out.push('');
  return out.join('\n');
}
