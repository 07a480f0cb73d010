/**
 * A dependency-free SVG line chart (side-by-side panels) for benchmark curves
 * in docs/: enough axes, ticks and a legend to read the numbers off.
 */
export interface Series {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** SVG stroke-dasharray, e.g. "6,4"; solid when absent. */
  readonly dash?: string;
  /** Index into the palette; default the series' position. */
  readonly color?: number;
}

export interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** A horizontal reference line (a target). */
  readonly line?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 460;
const H = 300;
const M = { left: 50, right: 12, top: 28, bottom: 74 };

function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(p: Panel, dx: number): string {
  const xs = p.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = p.series.flatMap((s) => s.points.map(([, y]) => y));
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(1, ...ys, (p.line ?? 0) * 1.05);
  const xStep = niceStep(xMax);
  const yStep = niceStep(yMax);
  const xTop = Math.ceil(xMax / xStep) * xStep;
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const px = (x: number) => dx + M.left + (x / xTop) * (W - M.left - M.right);
  const py = (y: number) => M.top + (1 - y / yTop) * (H - M.top - M.bottom);
  const out: string[] = [`<text x="${dx + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
  for (let x = 0; x <= xTop + 1e-9; x += xStep) {
    out.push(
      `<line x1="${px(x).toFixed(1)}" y1="${py(0).toFixed(1)}" x2="${px(x).toFixed(1)}" y2="${py(yTop).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${px(x).toFixed(1)}" y="${(py(0) + 14).toFixed(1)}" text-anchor="middle">${+x.toFixed(2)}</text>`,
    );
  }
  for (let y = 0; y <= yTop + 1e-9; y += yStep) {
    out.push(
      `<line x1="${px(0).toFixed(1)}" y1="${py(y).toFixed(1)}" x2="${px(xTop).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${(px(0) - 4).toFixed(1)}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${+y.toFixed(2)}</text>`,
    );
  }
  out.push(`<text x="${dx + W / 2}" y="${py(0) + 30}" text-anchor="middle">seconds</text>`);
  if (p.line !== undefined)
    out.push(
      `<line x1="${px(0).toFixed(1)}" y1="${py(p.line).toFixed(1)}" x2="${px(xTop).toFixed(1)}" y2="${py(p.line).toFixed(1)}" stroke="#999" stroke-dasharray="2,3"/>`,
    );
  p.series.forEach((s, i) => {
    const color = COLORS[(s.color ?? i) % COLORS.length];
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${dash}/>`);
    const lx = dx + 8 + (i % 3) * 150;
    const ly = H - 30 + Math.floor(i / 3) * 14;
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 26}" y="${ly}">${esc(s.label)}</text>`,
    );
  });
  return out.join('\n');
}

export function plotSvg(panels: readonly Panel[]): string {
  const width = W * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${H}" fill="white"/>`,
    ...panels.map((p, i) => panel(p, i * W)),
    '</svg>',
    '',
  ].join('\n');
}
