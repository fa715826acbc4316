// Small horizontal bar charts drawn as SVG elements (no library: a few bars
// need no 40 KB of charting code). Each chart has a text table beside it for
// screen readers, so the SVG itself is aria-hidden.
import { h, scrollRegion } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

// The table of a chart's figures: numbers right-aligned after the first
// column (unless ``numeric`` is false); at phone width it scrolls sideways in
// its own box (a focusable region named by ``label``, the id of its
// section's heading), never the page.
export function figureTable(label, headers, rows, { numeric = true } = {}) {
  return scrollRegion(label, h('table', { class: 'plain wide-table' },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { class: i && numeric ? 'num' : null }, c)))))));
}

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// rows: [{label, values: [number, ...], texts: [string, ...]}]
export function barChart(rows, { width = 640, bar = 16, labelWidth = 200 } = {}) {
  const series = Math.max(1, ...rows.map((r) => r.values.length));
  const rowHeight = bar * series + 10;
  const height = rows.length * rowHeight + 10;
  const max = Math.max(1e-9, ...rows.flatMap((r) => r.values.filter((v) => Number.isFinite(v))));
  const plot = width - labelWidth - 110;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true', focusable: 'false' });
  rows.forEach((row, i) => {
    const y = 5 + i * rowHeight;
    const label = row.label.length > 30 ? row.label.slice(0, 29) + '…' : row.label;
    root.append(svg('text', { x: 0, y: y + rowHeight / 2 }, label));
    row.values.forEach((value, s) => {
      const w = Number.isFinite(value) ? Math.max(1, (value / max) * plot) : 0;
      root.append(svg('rect', { x: labelWidth, y: y + s * bar, width: w, height: bar - 2, class: s ? 'bar2' : 'bar' }));
      root.append(svg('text', { x: labelWidth + w + 4, y: y + s * bar + bar - 5 }, (row.texts || [])[s] ?? String(value)));
    });
  });
  return root;
}
