/**
 * The figure of docs/benchmarks.md "Against Karmada", from a recorded run: per
 * mode and tuning, Canopy's and Karmada's median (bar) and min–max (whisker)
 * of the time to all applied, and of the controllers' CPU. Dependency-free
 * SVG, like bench/logicalcluster.plot.ts.
 *
 *   npx tsx bench/karmada/plot.ts [karmada-<date>.json [karmada-failover-<date>.json …]]   # → docs/karmada-bench.svg
 *
 * With a failover record, a third panel: apiserver stop → replicas applied on the other members.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Stat {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}
interface Summary {
  readonly seconds?: Stat;
  readonly timedOut: number;
  readonly controllerCpuSeconds?: Stat;
  readonly controlPlaneApiserverCpuSeconds?: Stat;
}
interface Recorded {
  readonly objects: number;
  readonly rounds: number;
  readonly environment: { readonly date: string };
  readonly karmada: { readonly version: string };
  readonly summary: Readonly<Record<string, Summary>>;
}
interface RecordedFailover {
  readonly failover: Readonly<Record<string, { readonly seconds?: Stat }>>;
}
interface FailoverRun {
  readonly system: 'canopy' | 'karmada';
  readonly tuning: string;
  readonly ms?: number;
}

function stat(values: number[]): Stat | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]!, n: s.length };
}

/** Failover runs recorded in several files (rounds run apart), summarised together per system and tuning. */
export function mergeFailovers(runs: readonly FailoverRun[]): RecordedFailover {
  const failover: Record<string, { seconds?: Stat }> = {};
  for (const key of new Set(runs.map((r) => `${r.system}/${r.tuning}`))) {
    const seconds = stat(runs.filter((r) => `${r.system}/${r.tuning}` === key && r.ms !== undefined && r.ms !== null).map((r) => r.ms! / 1000));
    failover[key] = seconds ? { seconds } : {};
  }
  return { failover };
}

const here = dirname(fileURLToPath(import.meta.url));
const COLORS = { canopy: '#1f77b4', karmada: '#d62728' } as const;
const W = 460;
const H = 300;
const M = { left: 50, right: 12, top: 40, bottom: 64 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

interface Group {
  readonly label: string;
  readonly bars: ReadonlyArray<{ readonly system: 'canopy' | 'karmada'; readonly stat: Stat | undefined }>;
}

function panel(title: string, yLabel: string, groups: readonly Group[], dx: number): string {
  const yMax = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.stat?.max ?? 0)));
  const yStep = niceStep(yMax);
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const py = (y: number) => M.top + (1 - y / yTop) * (H - M.top - M.bottom);
  const plotW = W - M.left - M.right;
  const groupW = plotW / groups.length;
  const barW = Math.min(36, groupW / 3);
  const out = [`<text x="${dx + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  out.push(`<text x="${dx + 12}" y="${M.top - 8}">${esc(yLabel)}</text>`);
  for (let y = 0; y <= yTop + 1e-9; y += yStep) {
    out.push(
      `<line x1="${dx + M.left}" y1="${py(y).toFixed(1)}" x2="${dx + W - M.right}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${dx + M.left - 4}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${+y.toFixed(2)}</text>`,
    );
  }
  groups.forEach((g, gi) => {
    const cx = dx + M.left + groupW * (gi + 0.5);
    out.push(`<text x="${cx.toFixed(1)}" y="${(py(0) + 14).toFixed(1)}" text-anchor="middle">${esc(g.label)}</text>`);
    g.bars.forEach((b, bi) => {
      const x = cx + (bi - g.bars.length / 2) * barW;
      if (!b.stat) {
        out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(py(0) - 4).toFixed(1)}" text-anchor="middle">n/a</text>`);
        return;
      }
      const color = COLORS[b.system];
      out.push(
        `<rect x="${x.toFixed(1)}" y="${py(b.stat.median).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(py(0) - py(b.stat.median)).toFixed(1)}" fill="${color}" fill-opacity="0.75"/>`,
        `<line x1="${(x + barW / 2 - 2).toFixed(1)}" y1="${py(b.stat.min).toFixed(1)}" x2="${(x + barW / 2 - 2).toFixed(1)}" y2="${py(b.stat.max).toFixed(1)}" stroke="#333"/>`,
        `<text x="${(x + barW / 2 - 2).toFixed(1)}" y="${(py(b.stat.max) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${+b.stat.median.toFixed(1)}</text>`,
      );
    });
  });
  const ly = H - 22;
  (['canopy', 'karmada'] as const).forEach((s, i) => {
    const lx = dx + M.left + i * 130;
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="14" height="10" fill="${COLORS[s]}" fill-opacity="0.75"/>`,
      `<text x="${lx + 18}" y="${ly}">${s === 'canopy' ? 'Canopy' : 'Karmada'}</text>`,
    );
  });
  out.push(`<text x="${dx + M.left}" y="${H - 6}" font-size="9">bar: median; whisker: min–max over the rounds</text>`);
  return out.join('\n');
}

export function karmadaPlot(recorded: Recorded, failover?: RecordedFailover): string {
  const keys = Object.keys(recorded.summary);
  const tunings = [...new Set(keys.map((k) => k.split('/')[1]!))];
  const modes = [...new Set(keys.map((k) => k.split('/')[2]!))];
  const groups = (field: 'seconds' | 'controllerCpuSeconds'): Group[] =>
    modes.flatMap((mode) =>
      tunings.map((tuning) => ({
        label: `${mode}, ${tuning}`,
        bars: (['canopy', 'karmada'] as const).map((system) => ({ system, stat: recorded.summary[`${system}/${tuning}/${mode}`]?.[field] })),
      })),
    );
  const what = `${recorded.objects} Deployments × 3 members`;
  const panels = [
    panel(`Time to all applied (${what})`, 'seconds', groups('seconds'), 0),
    panel(`Controller CPU (${what})`, 'CPU seconds', groups('controllerCpuSeconds'), W),
  ];
  if (failover) {
    const fTunings = [...new Set(Object.keys(failover.failover).map((k) => k.split('/')[1]!))];
    const fGroups: Group[] = fTunings.map((tuning) => ({
      label: `Divide 2:1:1, ${tuning}`,
      bars: (['canopy', 'karmada'] as const).map((system) => ({ system, stat: failover.failover[`${system}/${tuning}`]?.seconds })),
    }));
    panels.push(panel('Failover: apiserver stop → replicas elsewhere', 'seconds', fGroups, 2 * W));
  }
  const width = W * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${H}" fill="white"/>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = join(here, '..', 'results');
  const file =
    process.argv[2] ??
    join(
      results,
      readdirSync(results)
        .filter((f) => /^karmada-.*\.json$/.test(f))
        .sort()
        .pop() ?? 'karmada.json',
    );
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as Recorded;
  // Failover records: rounds recorded in separate files are summarised together.
  const failoverFiles = process.argv.slice(3);
  const failover =
    failoverFiles.length === 0
      ? undefined
      : mergeFailovers(failoverFiles.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { failovers: FailoverRun[] }).failovers));
  const out = join(here, '..', '..', 'docs', 'karmada-bench.svg');
  writeFileSync(out, karmadaPlot(recorded, failover));
  console.error(`wrote ${out} from ${file}`);
}
