// The register (/): filters, sorting and pages kept in the URL; rows from
// GET /api/tenders/; live bid counts, status changes and new tenders from
// the public feed (ws/tenders/). An API error empties the rows and says why.
import { page } from '../common.js';
import { api } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h } from '../dom.js';
import { _, f_, ngettext, statusLabel } from '../i18n.js';
import { legalDayBound, money, timeEl } from '../format.js';

const form = $('#filters');
const rows = $('#rows');
const errorBox = $('#filter-error');
const summary = $('#summary');
const pager = $('#pager');
const feed = $('#live');
const PAGE_SIZE = 20;
let controller = null;

const LABELS = [_('Tender'), _('Buyer'), _('CPV'), _('Estimated value'), _('Submission deadline'), _('Status'), _('Bids')];

function apiParams(query) {
  const params = new URLSearchParams();
  for (const [key, raw] of query) {
    let value = raw.trim();
    if (!value) continue;
    if (key === 'deadline_after' && value.length === 10) value = legalDayBound(value, false);
    if (key === 'deadline_before' && value.length === 10) value = legalDayBound(value, true);
    params.set(key, value);
  }
  return params;
}

function row(t) {
  const cells = [
    h('a', { href: `/tenders/${t.id}/` }, t.title),
    t.buyer.name,
    t.cpv,
    money(t.estimated_amount, t.currency),
    timeEl(t.submission_deadline, false, true),
    h('span', { class: `badge s-${t.status}` }, statusLabel(t.status)),
    String(t.bid_count),
  ];
  const classes = ['', '', '', 'num', '', 'status', 'num bids'];
  return h('tr', { id: `tender-${t.id}` },
    cells.map((c, i) => h('td', { 'data-label': LABELS[i], class: classes[i] || null }, c)));
}

function renderPager(count, pageNumber) {
  const pages = Math.max(1, Math.ceil(count / PAGE_SIZE));
  const link = (n, text, rel) => {
    const q = new URLSearchParams(location.search);
    if (n === 1) q.delete('page'); else q.set('page', String(n));
    return h('a', { href: '?' + q.toString(), rel, 'data-page': n }, text);
  };
  fill(pager,
    pageNumber > 1 ? link(pageNumber - 1, _('Previous page'), 'prev') : null,
    h('span', {}, f_(_('Page %(page)s of %(pages)s'), { page: pageNumber, pages })),
    pageNumber < pages ? link(pageNumber + 1, _('Next page'), 'next') : null);
}

function render(data, pageNumber) {
  fill(rows, data.results.map(row));
  fill(summary, data.count
    ? f_(ngettext('%(count)s tender', '%(count)s tenders', data.count), { count: data.count })
    : _('No tender matches these filters.'));
  renderPager(data.count, pageNumber);
}

async function load() {
  const query = new URLSearchParams(location.search);
  const pageNumber = Number(query.get('page')) || 1;
  if (controller) controller.abort();
  controller = new AbortController();
  try {
    const data = await api('/api/tenders/?' + apiParams(query), { signal: controller.signal });
    errorBox.textContent = '';
    form.removeAttribute('aria-invalid');
    render(data, pageNumber);
  } catch (error) {
    if (error.name === 'AbortError') return;
    // Never leave rows that no longer answer the filters.
    rows.replaceChildren();
    pager.replaceChildren();
    summary.textContent = '';
    errorBox.textContent = error.message;
    const field = error.errors && Object.keys(error.errors)[0];
    const input = field && form.elements.namedItem(field);
    if (input) input.setAttribute('aria-invalid', 'true');
  }
}

function formQuery() {
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (String(value).trim()) query.set(key, String(value).trim());
  return query;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const query = formQuery();
  history.pushState(null, '', query.toString() ? '?' + query : '/');
  load();
});

pager.addEventListener('click', (event) => {
  const a = event.target.closest('a[data-page]');
  if (!a) return;
  event.preventDefault();
  history.pushState(null, '', a.getAttribute('href'));
  load();
  $('#summary').scrollIntoView();
});

addEventListener('popstate', () => {
  const query = new URLSearchParams(location.search);
  for (const el of form.elements) if (el.name) el.value = query.get(el.name) || '';
  load();
});

// The CPV name picker: names in the page's language (Russian on a Kazakh
// page: CPV has no official Kazakh names); choosing one fills the code.
const cpvName = $('#f-cpv-name');
const options = $('#cpv-options');
let cpvTimer = null;
let cpvMatches = [];
cpvName.addEventListener('input', () => {
  clearTimeout(cpvTimer);
  const text = cpvName.value.trim();
  const chosen = cpvMatches.find((m) => `${m.code} ${m.name}` === text);
  if (chosen) { form.elements.cpv.value = chosen.code.split('-')[0]; return; }
  if (text.length < 2) return;
  cpvTimer = setTimeout(async () => {
    try {
      cpvMatches = await api('/api/cpv/?' + new URLSearchParams({ q: text, lang: document.documentElement.lang }));
      fill(options, cpvMatches.map((m) => h('option', { value: `${m.code} ${m.name}` })));
    } catch (error) {
      errorBox.textContent = error.message;
    }
  }, 200);
});

// Live: counts and statuses change in place; a published tender reloads the page of rows.
function note(text) {
  $('#live-section').hidden = false; // shown once it has something to say
  feed.prepend(h('li', {}, timeEl(new Date().toISOString(), true), ' ', text));
  while (feed.children.length > 20) feed.lastChild.remove();
}

let reloadTimer = null;
function reloadSoon() { clearTimeout(reloadTimer); reloadTimer = setTimeout(load, 300); }

let connectedOnce = false;
connect('/ws/tenders/', {
  onOpen() { if (connectedOnce) load(); connectedOnce = true; },
  onMessage(event) {
    const tr = document.getElementById(`tender-${event.tender}`);
    const title = tr ? tr.querySelector('a').textContent : (event.title || `#${event.tender}`);
    if (event.type === 'bid_count_changed') {
      if (tr) tr.querySelector('.bids').textContent = String(event.bid_count);
      note(f_(_('%(title)s: %(count)s bids'), { title, count: event.bid_count }));
    } else if (event.type === 'status_changed') {
      if (event.previous === 'draft') {
        note(f_(_('New tender published: %(title)s'), { title }));
        reloadSoon();
      } else {
        if (tr) {
          const badge = tr.querySelector('.status .badge');
          badge.className = `badge s-${event.status}`;
          badge.textContent = statusLabel(event.status);
        }
        note(f_(_('%(title)s: %(status)s'), { title, status: statusLabel(event.status) }));
      }
    } else if (event.type === 'tender_amended') {
      note(f_(_('%(title)s was amended'), { title }));
      reloadSoon();
    }
  },
});

if (page.tenders) renderPager(page.tenders.count, Number(new URLSearchParams(location.search).get('page')) || 1);
else if (!page.error) load();
