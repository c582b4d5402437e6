// A benchmark's ratios as a self-contained SVG bar chart (no fonts or scripts
// fetched), written next to the table the benchmark prints.
import { writeFileSync } from 'node:fs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * rows: [{ name, value, note? }], drawn as horizontal bars against the first
 * row (the reference, drawn grey) with its ratio; `unit` labels the values.
 */
export function barChart(file, { title, unit, rows }) {
  const CHAR = 6.6;
  const labelW = Math.max(...rows.map((r) => r.name.length)) * CHAR + 20;
  const barW = 420;
  const rowH = 26;
  const top = 44;
  const max = Math.max(...rows.map((r) => r.value));
  const base = rows[0].value;
  const W = Math.ceil(labelW + barW + 170);
  const H = top + rows.length * rowH + 16;
  const parts = rows.map((r, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (r.value / max) * barW);
    const ratio = i === 0 ? 'reference' : `${(r.value / base).toFixed(2)}×`;
    return (
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(r.name)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${i === 0 ? '#9aa4ad' : '#2f6db5'}"/>` +
      `<text x="${labelW + w + 6}" y="${y + 15}">${esc(`${r.value.toFixed(r.value >= 100 ? 0 : 1)} ${unit}  ${ratio}${r.note ? `  ${r.note}` : ''}`)}</text>`
    );
  });
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="24" font-size="13" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
  writeFileSync(file, svg);
}
