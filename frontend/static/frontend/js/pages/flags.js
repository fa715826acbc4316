// Red flags (/flags/): charts of GET /api/flags/ (per buyer), each with a
// table of the same figures, and the indicators' rules and fences.
import '../common.js';
import { api } from '../api.js';
import { $, fill, h } from '../dom.js';
import { _, f_ } from '../i18n.js';
import { number } from '../format.js';
import { barChart, figureTable as table } from '../chart.js';

const percent = (share) => (share === null || share === undefined ? '—' : `${number(Number(share) * 100, 1)} %`);

function legend(a, b) {
  return h('p', { class: 'legend' }, h('span', {}, h('span', { class: 'key key1' }), a), h('span', {}, h('span', { class: 'key key2' }), b));
}

const none = () => h('p', { class: 'muted' }, _('No published tenders yet.'));

function byCode(data) {
  const total = data.results.reduce((n, r) => n + r.tenders, 0);
  const rows = data.indicators.filter((i) => i.scope === 'tender' || i.scope === 'lot').map((i) => {
    const n = data.results.reduce((sum, r) => sum + r.indicators[i.code].tenders, 0);
    return { code: i.code, name: i.name, n, share: total ? n / total : null };
  });
  fill($('#by-code'), total ? [
    barChart(rows.map((r) => ({ label: `${r.code} ${r.name}`, values: [r.n], texts: [number(r.n)] })), { labelWidth: 300, width: 700 }),
    table('h-by-code', [_('Indicator'), _('Tenders flagged'), _('Share of all tenders')], rows.map((r) => [`${r.code} ${r.name}`, number(r.n), percent(r.share)]))] : none());
}

function byBuyer(data) {
  const rows = data.results.slice(0, 30);
  fill($('#by-buyer'), rows.length ? [
    barChart(rows.map((r) => ({ label: r.name, values: [Number(r.flagged_share) * 100], texts: [percent(r.flagged_share)] })), { labelWidth: 260, width: 700 }),
    table('h-by-buyer', [_('Buyer'), _('Tenders'), _('Tenders flagged'), _('Share flagged')],
      rows.map((r) => [r.name, number(r.tenders), number(r.flagged), percent(r.flagged_share)]))] : none());
}

function trend(data) {
  const months = new Map();
  for (const r of data.results) {
    for (const m of r.trend) {
      const row = months.get(m.month) || { tenders: 0, flagged: 0 };
      row.tenders += m.tenders; row.flagged += m.flagged;
      months.set(m.month, row);
    }
  }
  const rows = [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).slice(-24);
  fill($('#trend'), rows.length ? [legend(_('Tenders published'), _('Tenders flagged')),
    barChart(rows.map(([m, r]) => ({ label: m, values: [r.tenders, r.flagged], texts: [number(r.tenders), number(r.flagged)] })), { labelWidth: 90 }),
    table('h-trend', [_('Month'), _('Tenders published'), _('Tenders flagged'), _('Share flagged')],
      rows.map(([m, r]) => [m, number(r.tenders), number(r.flagged), percent(r.tenders ? r.flagged / r.tenders : null)]))] : none());
}

function disqualified(data) {
  const fence = data.buyers_fence;
  const rows = data.results.filter((r) => r.disqualification_ratio !== null).slice(0, 30);
  const note = fence.upper_fence === null
    ? f_(_('R038 needs at least %(minimum)s buyers with enough tenders; there are %(buyers)s.'), fence)
    : f_(_('Upper fence: %(fence)s (Q3 + 1.5 × IQR over %(buyers)s buyers).'), { fence: percent(fence.upper_fence), buyers: fence.buyers });
  fill($('#disqualified'), h('p', {}, note), rows.length ? [
    barChart(rows.map((r) => ({ label: r.name, values: [Number(r.disqualification_ratio) * 100], texts: [percent(r.disqualification_ratio) + (r.r038 ? ' ⚑' : '')] })), { labelWidth: 260, width: 700 }),
    table('h-disq', [_('Buyer'), _('Bids received'), _('Disqualified'), _('Share disqualified'), _('R038 raised')],
      rows.map((r) => [r.name, number(r.offers), number(r.disqualified), percent(r.disqualification_ratio), r.r038 ? _('yes') : _('no')]))]
    : h('p', { class: 'muted' }, _('No buyer has enough tenders with bids yet.')));
}

function suppliers(data) {
  const s = data.suppliers;
  const notes = [];
  if (s.r025.fence === null) notes.push(f_(_('R025 and R048 need at least %(minimum)s suppliers; there are %(count)s.'), { minimum: s.minimum, count: s.r025.count }));
  else notes.push(f_(_('R025: top tenderers have at least %(top)s valid bids; lower fence of the win shares %(fence)s (%(count)s suppliers).'), { top: number(Number(s.r025_top), 1), fence: percent(s.r025.fence), count: s.r025.count }));
  if (s.r048.fence !== null) notes.push(f_(_('R048: upper fence %(fence)s CPV divisions (%(count)s suppliers with enough awards).'), { fence: number(Number(s.r048.fence), 2), count: s.r048.count }));
  fill($('#suppliers'), notes.map((n) => h('p', {}, n)), s.flagged.length
    ? table('h-suppliers', [_('Supplier'), _('Indicators'), _('Valid bids'), _('Wins'), _('Share won'), _('CPV divisions')],
      s.flagged.map((r) => [r.name, r.codes.join(', '), number(r.valid_bids), number(r.wins), percent(r.win_share), number(r.divisions)]))
    : h('p', { class: 'muted' }, _('No supplier is flagged.')));
}

function rules(data) {
  const m = data.market;
  const market = m.lower_fence === null
    ? f_(_('R024 and R058 need at least %(minimum)s finished lowest-price lots with two valid bids; there are %(lots)s.'), m)
    : f_(_('R024 and R058 fences from %(lots)s finished lots: Q1 %(q1)s, Q3 %(q3)s, lower fence %(lower)s, upper fence %(upper)s.'),
      { lots: m.lots, q1: percent(m.q1), q3: percent(m.q3), lower: percent(m.lower_fence), upper: percent(m.upper_fence) });
  fill($('#rules'), h('p', {}, market),
    table('h-rules', [_('Indicator'), _('Rule')], data.indicators.map((i) => [`${i.code} ${i.name}`, i.rule]), { numeric: false }));
}

async function load() {
  let data;
  try { data = await api('/api/flags/'); } catch (error) { $('#flags-error').textContent = error.message; return; }
  byCode(data); byBuyer(data); trend(data); disqualified(data); suppliers(data); rules(data);
}
load();
