// A tender (/tenders/{id}/): the server rendered the details; this adds the
// countdown on the server's clock, the live status and bid count, Q&A, then
// the opening record, the evaluation report, the award and complaints, and
// the audit log verified in the browser.
import { page } from '../common.js';
import { api } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h, scrollRegion } from '../dom.js';
import { _, complaintStatus, f_, statusLabel } from '../i18n.js';
import { countdown, decimal, money, number, serverNow, timeEl } from '../format.js';
import { barChart } from '../chart.js';
import { auditTrail } from '../audit.js';

const tender = page.tender;
const base = `/api/tenders/${tender.id}`;
const news = $('#stage-news');
const audit = auditTrail(tender.id, { lots: Object.fromEntries((tender.lots || []).map((l) => [l.id, l.title])) });
let status = tender.status;
let deadline = Date.parse(tender.submission_deadline);
let standstillEnds = null;
// A multi-lot tender is evaluated, awarded and complained about lot by lot:
// each lot's evaluation is its own page (linked from the list of lots).
const lots = tender.lots && tender.lots.length > 1 ? tender.lots : [];
const lotStatus = Object.fromEntries(lots.map((l) => [l.id, l.status]));
const lotTitle = Object.fromEntries(lots.map((l) => [l.id, l.title]));

function setStatus(next) {
  status = next;
  const badge = $('#status');
  badge.className = `badge s-${next}`;
  badge.textContent = statusLabel(next);
  const bidLink = $('#bid-link');
  if (bidLink && next !== 'active') bidLink.remove();
}

// --- countdown -------------------------------------------------------------
function tick() {
  const box = $('#countdown');
  if (status === 'active') {
    const left = deadline - serverNow();
    box.textContent = left > 0 ? f_(_('Bids close in %(time)s'), { time: countdown(left) })
      : _('The submission deadline has passed: the bids are being opened.');
  } else if (standstillEnds && status === 'awarded') {
    const left = standstillEnds - serverNow();
    box.textContent = left > 0 ? f_(_('Standstill period ends in %(time)s'), { time: countdown(left) })
      : _('The standstill period has ended.');
  } else {
    box.textContent = '';
  }
}
setInterval(tick, 1000);
tick();

// --- questions -------------------------------------------------------------
async function loadQuestions() {
  const list = $('#questions');
  try {
    const questions = await api(`${base}/questions/`);
    $('#no-questions').hidden = questions.length > 0;
    fill(list, questions.map((q) => h('li', {},
      h('p', {}, h('strong', {}, _('Question')), ' ', timeEl(q.asked_at), h('br'), q.text),
      q.answer ? h('div', { class: 'answer' }, h('strong', {}, _('Answer')), ' ', timeEl(q.answered_at), h('br'), q.answer)
        : h('p', { class: 'muted' }, _('Not answered yet.')))));
  } catch (error) {
    fill(list);
    const none = $('#no-questions');
    none.hidden = false;
    none.className = 'error';
    none.textContent = error.message;
  }
}

function askForm() {
  const slot = $('#ask');
  const open = status === 'active' && serverNow() < Date.parse(tender.clarification_deadline);
  if (!open) { fill(slot); return; }
  if (page.method && !page.method.questions) {
    fill(slot, h('p', { class: 'muted' }, _('This procurement method takes no questions.')));
    return;
  }
  if (page.me.role !== 'supplier') {
    fill(slot, h('p', { class: 'muted' }, _('Suppliers may ask questions until the clarification deadline.'), ' ',
      page.me.authenticated ? '' : h('a', { href: `/login/?next=${encodeURIComponent(location.pathname)}` }, _('Log in'))));
    return;
  }
  const text = h('textarea', { id: 'q-text', name: 'text', rows: 4, maxlength: 5000, required: true, 'aria-describedby': 'q-text-error' });
  const error = h('p', { class: 'field-error', id: 'q-text-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, _('Ask the question'));
  const form = h('form', { class: 'form', novalidate: true },
    h('label', { for: 'q-text' }, _('Your question (your organisation is not shown)')), text, error,
    h('p', {}, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!text.value.trim()) { error.textContent = _('Write your question first.'); text.focus(); return; }
    button.disabled = true;
    try {
      await api(`${base}/questions/`, { method: 'POST', body: { text: text.value } });
      text.value = '';
      error.textContent = '';
      news.textContent = _('Your question was sent.');
      loadQuestions();
    } catch (e) {
      error.textContent = e.message; // what was typed stays in the box
    } finally {
      button.disabled = false;
    }
  });
  fill(slot, form);
}

// --- opening ---------------------------------------------------------------
function renderOpening(record) {
  $('#opening-section').hidden = false;
  fill($('#opening'),
    h('p', {}, _('Opened at'), ' ', timeEl(record.opened_at, true, true)),
    record.bids.length ? scrollRegion('h-opening', h('table', { class: 'plain', id: 'opening-table' },
      h('thead', {}, h('tr', {}, [_('Supplier'), _('Price'), _('Received'), _('Receipt hash (SHA-256)')].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, record.bids.map((b) => h('tr', { id: `opened-${b.bid}` },
        h('td', {}, b.supplier.name, h('br'), h('span', { class: 'muted' }, b.supplier.tax_id)),
        h('td', { class: 'num' }, money(b.amount, b.currency)),
        h('td', {}, timeEl(b.received_at, true)),
        h('td', {}, h('code', { class: 'hash' }, b.sha256)))))))
      : h('p', {}, _('No bids were submitted.')));
}

async function loadOpening() {
  try {
    const record = await api(`${base}/opening/`);
    renderOpening(record);
  } catch (error) {
    if (error.code !== 'not_opened') fill($('#opening'), h('p', { class: 'error' }, error.message));
  }
}

// --- evaluation, award, complaints -------------------------------------------
async function loadEvaluation() {
  if (lots.length) return; // each lot's report is on its evaluation page
  let report;
  try {
    report = await api(`${base}/evaluation/`);
  } catch (error) {
    return; // not public yet (403/409): nothing to show
  }
  $('#evaluation-section').hidden = false;
  const names = Object.fromEntries(report.bids.map((b) => [b.bid, b.supplier.name]));
  const ranked = report.ranking.map((id) => report.bids.find((b) => b.bid === id));
  const award = report.award;
  standstillEnds = award ? Date.parse(award.standstill_ends_at) : null;
  const chart = ranked.length ? h('figure', { class: 'chart' },
    barChart(ranked.map((b) => ({ label: b.supplier.name, values: [Number(b.total)], texts: [number(Number(b.total), 2)] }))),
    h('figcaption', {}, _('Total score of each qualified bid'))) : null;
  fill($('#evaluation'),
    award ? h('div', { class: 'panel' },
      h('p', {}, h('strong', {}, _('Winner')), ': ', names[award.bid] || `#${award.bid}`, ' — ', _('awarded'), ' ', timeEl(award.awarded_at)),
      award.justification ? h('p', {}, _('Justification'), ': ', award.justification) : null,
      h('p', {}, _('Standstill period ends'), ': ', timeEl(award.standstill_ends_at, false, true))) : null,
    chart,
    scrollRegion('h-eval', h('table', { class: 'plain' },
      h('thead', {}, h('tr', {}, [_('Rank'), _('Supplier'), _('Price'), _('Qualification'), _('Price score'), _('Total')].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, [...report.bids].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9)).map((b) => h('tr', {},
        h('td', {}, b.rank ?? '—'),
        h('td', {}, b.supplier.name),
        h('td', { class: 'num' }, money(b.amount, b.currency)),
        h('td', {}, b.qualification ? (b.qualification.qualified ? _('qualified') : _('disqualified')) + (b.qualification.reason ? ': ' + b.qualification.reason : '') : '—'),
        h('td', { class: 'num' }, decimal(b.price_score, report.rounding.places)),
        h('td', { class: 'num' }, decimal(b.total, report.rounding.places))))))));
  tick();
}

async function loadComplaints() {
  let complaints = [];
  try { complaints = await api(`${base}/complaints/`); } catch { return; }
  const awardedLots = lots.filter((l) => lotStatus[l.id] === 'awarded');
  const canFile = page.me.role === 'supplier' && (lots.length ? awardedLots.length > 0 : status === 'awarded');
  if (!complaints.length && !canFile) return;
  $('#complaints-section').hidden = false;
  const list = complaints.length ? h('ol', {}, complaints.map((c) => h('li', {},
    h('p', {}, h('strong', {}, c.supplier.name), lotTitle[c.lot] ? ` (${lotTitle[c.lot]})` : '', ' ', timeEl(c.filed_at), ' — ',
      complaintStatus(c.status)), h('p', {}, c.text),
    c.resolution ? h('p', { class: 'answer' }, _('Resolution'), ': ', c.resolution) : null))) : h('p', { class: 'muted' }, _('No complaints.'));
  let form = null;
  if (canFile) {
    const text = h('textarea', { id: 'complaint-text', name: 'text', rows: 5, maxlength: 20000, 'aria-describedby': 'complaint-text-error' });
    const error = h('p', { class: 'field-error', id: 'complaint-text-error', role: 'alert' });
    const lot = lots.length ? h('select', { id: 'complaint-lot', name: 'lot' },
      awardedLots.map((l) => h('option', { value: l.id }, l.title))) : null;
    form = h('form', { class: 'form', novalidate: true },
      lot ? h('div', { class: 'field' }, h('label', { for: 'complaint-lot' }, _('The lot whose award you complain about')), lot) : null,
      h('label', { for: 'complaint-text' }, _('File a complaint about the award')),
      text, error, h('p', {}, h('button', { type: 'submit' }, _('File the complaint'))));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await api(`${base}/complaints/`, { method: 'POST', body: lot ? { text: text.value, lot: Number(lot.value) } : { text: text.value } });
        loadComplaints();
      } catch (e) { error.textContent = e.message; }
    });
  }
  fill($('#complaints'), list, form);
}

// --- risk indicators ---------------------------------------------------------
// The section is the server's rendering (tender.html); an event that may
// change a flag (the opening, a decision, an award, an amendment) fetches
// the page again and swaps in its fresh section.
let riskTimer = null;
function refreshRisk() {
  clearTimeout(riskTimer);
  riskTimer = setTimeout(async () => {
    try {
      const response = await fetch(location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('risk-section');
      const current = $('#risk-section');
      if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    } catch { /* offline: the section stays as it was until the next event */ }
  }, 500);
}
const RISK_EVENTS = ['status_changed', 'opening', 'lot_status_changed', 'awarded', 'qualification', 'tender_amended',
  'deadline_changed'];

// --- live ------------------------------------------------------------------
function stageLoads() {
  if (tender.opened_at || ['evaluation', 'awarded', 'complete', 'unsuccessful'].includes(status)) loadOpening();
  if (['awarded', 'complete', 'unsuccessful', 'cancelled', 'evaluation'].includes(status)) { loadEvaluation(); loadComplaints(); }
}

connect(`/ws/tenders/${tender.id}/`, {
  onMessage(event) {
    if (event.type !== 'snapshot') audit.refreshSoon();
    if (RISK_EVENTS.includes(event.type)) refreshRisk();
    if (event.bid_count !== undefined) $('#bid-count').textContent = String(event.bid_count);
    if (event.type === 'snapshot') {
      if (event.status !== status) { setStatus(event.status); stageLoads(); refreshRisk(); }
      if (event.submission_deadline) deadline = Date.parse(event.submission_deadline);
      if (event.bids) renderOpening({ opened_at: event.opened_at, bids: event.bids });
    } else if (event.type === 'status_changed') {
      setStatus(event.status);
      news.textContent = f_(_('The tender is now: %(status)s'), { status: statusLabel(event.status) });
      stageLoads();
      askForm();
    } else if (event.type === 'opening') {
      renderOpening({ opened_at: event.opened_at, bids: event.bids });
      news.textContent = _('The bids have been opened.');
    } else if (event.type === 'deadline_changed' || event.type === 'tender_amended') {
      if (event.submission_deadline) {
        deadline = Date.parse(event.submission_deadline);
        const el = $('#deadline');
        el.dateTime = event.submission_deadline;
        fill(el, timeEl(event.submission_deadline, false, true).textContent);
      }
      if (event.type === 'tender_amended') news.textContent = _('The tender was amended: reload the page to see the changes.');
    } else if (event.type === 'lot_status_changed') {
      lotStatus[event.lot] = event.lot_status;
      const badge = document.getElementById(`lot-status-${event.lot}`);
      if (badge) { badge.className = `badge s-${event.lot_status}`; badge.textContent = statusLabel(event.lot_status); }
      loadComplaints();
    } else if (event.type === 'question_asked' || event.type === 'question_answered') {
      loadQuestions();
    } else if (event.type === 'awarded' || event.type === 'complaint_filed' || event.type === 'complaint_resolved') {
      loadEvaluation();
      loadComplaints();
    }
    tick();
  },
});

loadQuestions();
askForm();
stageLoads();
