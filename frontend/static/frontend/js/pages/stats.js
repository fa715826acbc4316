// Statistics (/stats/): charts of the register from GET /api/stats/, each
// with a table of the same figures for screen readers.
import '../common.js';
import { api } from '../api.js';
import { $, fill, h } from '../dom.js';
import { _, statusLabel } from '../i18n.js';
import { money, number } from '../format.js';
import { barChart, figureTable as table } from '../chart.js';

function legend(a, b) {
  return h('p', { class: 'legend' }, h('span', {}, h('span', { class: 'key key1' }), a), b ? h('span', {}, h('span', { class: 'key key2' }), b) : null);
}

async function load() {
  let stats;
  try { stats = await api('/api/stats/'); } catch (error) { $('#stats-error').textContent = error.message; return; }
  const statuses = Object.entries(stats.by_status);
  fill($('#by-status'), barChart(statuses.map(([s, n]) => ({ label: statusLabel(s), values: [n], texts: [number(n)] }))),
    table('h-status', [_('Status'), _('Tenders')], statuses.map(([s, n]) => [statusLabel(s), number(n)])));
  const awards = stats.awards.filter((a) => a.awarded);
  fill($('#values'), awards.length ? [legend(_('Estimated value'), _('Awarded value')),
    barChart(awards.map((a) => ({ label: a.title, values: [Number(a.estimated), Number(a.awarded)], texts: [money(a.estimated, a.currency), money(a.awarded, a.currency)] })), { width: 760 }),
    table('h-value', [_('Tender'), _('Estimated value'), _('Awarded value')], awards.map((a) => [h('a', { href: `/tenders/${a.tender}/` }, a.title), money(a.estimated, a.currency), money(a.awarded, a.currency)]))]
    : h('p', { class: 'muted' }, _('No awards yet.')));
  fill($('#bids-per-tender'), barChart(stats.bids_per_tender.map((r) => ({ label: String(r.bids), values: [r.tenders], texts: [number(r.tenders)] })), { labelWidth: 60 }),
    table('h-bids', [_('Bids'), _('Tenders')], stats.bids_per_tender.map((r) => [number(r.bids), number(r.tenders)])));
  fill($('#by-division'), [legend(_('Tenders'), _('Bids')),
    barChart(stats.by_division.map((d) => ({ label: `${d.division} ${d.name}`, values: [d.tenders, d.bids], texts: [number(d.tenders), number(d.bids)] })), { width: 760, labelWidth: 260 }),
    table('h-cpv', [_('CPV division'), _('Tenders'), _('Bids')], stats.by_division.map((d) => [`${d.division} — ${d.name}`, number(d.tenders), number(d.bids)]))]);
}
load();
