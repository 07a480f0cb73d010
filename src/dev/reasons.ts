/**
 * Finds every condition and Event reason the product sets, from the source
 * itself, so the troubleshooting page cannot fall behind the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type ReasonUse = 'condition' | 'event';

export interface FoundReason {
  readonly reason: string;
  readonly uses: ReadonlySet<ReasonUse>;
  /** `src/reconcilers/placement/reconciler.ts:103`, first place seen in each file. */
  readonly places: readonly string[];
}

/** Product code only: tests, the CLI and development scripts set no condition. */
function productFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['cli', 'dev'].includes(entry.name)) out.push(...productFiles(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const REASON = "'(?!(?:True|False|Unknown)')([A-Z][A-Za-z0-9]+)'";

/** Lines that build an API Status (an HTTP answer's reason), not a condition or an Event. */
const API_STATUS = /\bcode:\s*\d{3}|new ApiError\(/;

/** Where a reason literal appears, by the shape of the code around it. */
const PATTERNS: ReadonlyArray<{ readonly use: ReasonUse; readonly pattern: RegExp }> = [
  // { status: 'False', reason: 'SourceNotFound', … } and helpers returning { reason: … }
  { use: 'condition', pattern: new RegExp(String.raw`\breason:\s*${REASON}`, 'g') },
  // condition('Synced', 'False', 'Reason', …) and the short helpers c('False', 'Reason', …)
  { use: 'condition', pattern: new RegExp(String.raw`'(?:True|False|Unknown)'(?:\s+as\s+const)?,\s*${REASON}`, 'g') },
  // reason: cond ? 'CycleDetected' : 'ParentMissing'
  { use: 'condition', pattern: new RegExp(String.raw`\breason:[^,\n]*\?\s*${REASON}\s*:\s*'`, 'g') },
  { use: 'condition', pattern: new RegExp(String.raw`\breason:[^,\n]*\?\s*'[A-Za-z]+'\s*:\s*${REASON}`, 'g') },
  // fail('Failed', 'InvalidSpec', …) in the logical-cluster plan; d.fail('Invalid', …) in the placement engine
  { use: 'condition', pattern: new RegExp(String.raw`\bfail\(\s*'(?:Pending|Failed)',\s*${REASON}`, 'g') },
  { use: 'condition', pattern: new RegExp(String.raw`(?<!\.)\.fail\(\s*${REASON}`, 'g') },
  // events.warning(object, 'Reason', …), events.normal(object, 'Reason', …)
  { use: 'event', pattern: new RegExp(String.raw`\.(?:warning|normal)\(\s*[\w.?!]+,\s*${REASON}`, 'g') },
];

/** `export type FooReason = 'A' | 'B'` (possibly over several lines) and `export const FooReasons = { A: 'A' }`. */
const DECLARATIONS: ReadonlyArray<RegExp> = [/\btype\s+\w*Reason\s*=([^;]+);/g, /\bconst\s+\w*Reasons\s*=\s*\{([^}]*)\}/g];

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

export function findReasons(root: string): FoundReason[] {
  const found = new Map<string, { uses: Set<ReasonUse>; places: string[] }>();
  const add = (reason: string, use: ReasonUse, place: string) => {
    const entry = found.get(reason) ?? { uses: new Set(), places: [] };
    entry.uses.add(use);
    const file = place.replace(/:\d+$/, '');
    if (!entry.places.some((p) => p.startsWith(`${file}:`))) entry.places.push(place);
    found.set(reason, entry);
  };
  for (const file of productFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const name = relative(root, file);
    for (const { use, pattern } of PATTERNS) {
      for (const match of text.matchAll(pattern)) {
        const line = lineOf(text, match.index);
        if (!API_STATUS.test(text.split('\n')[line - 1]!)) add(match[1]!, use, `${name}:${line}`);
      }
    }
    for (const declaration of DECLARATIONS) {
      for (const match of text.matchAll(declaration)) {
        for (const literal of match[1]!.matchAll(new RegExp(REASON, 'g'))) add(literal[1]!, 'condition', `${name}:${lineOf(text, match.index)}`);
      }
    }
  }
  return [...found.entries()].map(([reason, e]) => ({ reason, uses: e.uses, places: e.places })).sort((a, b) => a.reason.localeCompare(b.reason));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) {
  for (const r of findReasons(process.cwd())) console.log(`${r.reason}\t${[...r.uses].join(',')}\t${r.places.join(' ')}`);
}
