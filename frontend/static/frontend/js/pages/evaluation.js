// The evaluation (/tenders/{id}/evaluation/): a committee member declares no
// conflict of interest before anything of the bids is shown, then scores each
// qualified bid on each criterion (each score saved as it is entered); the
// buyer's officer qualifies or disqualifies each bid with a public reason,
// sees the ranking with each score's parts, the formula and a chart, awards
// (a justification when the bid is not top-ranked, said before the server
// does) and resolves complaints. What a reader sees is the API's decision.
// On a multi-lot tender the page is one lot's (the server chose it from
// ?lot=, see views.evaluation) and every request names it; the lot switcher
// links the others. The tender's audit trail closes the page, read again as
// each live event arrives.
import { page } from '../common.js';
import { api, showErrors } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h, scrollRegion } from '../dom.js';
import { _, complaintStatus, f_, statusLabel } from '../i18n.js';
import { countdown, decimal, money, number, serverNow, timeEl } from '../format.js';
import { barChart } from '../chart.js';
import { auditTrail } from '../audit.js';

const tender = page.tender;
const lot = page.lot ? String(page.lot.id) : null;
const base = `/api/tenders/${tender.id}`;
// the report is read with ?lot=; a qualification and an award name the lot in their body
const reportUrl = lot ? `${base}/evaluation/?lot=${encodeURIComponent(lot)}` : `${base}/evaluation/`;
const onLot = (body) => (lot ? { ...body, lot: Number(lot) } : body);
const news = $('#news');
const me = page.me;
const owner = me.role === 'officer' && me.organisation && me.organisation.id === tender.buyer.id;
// the status the evaluation is in: the lot's on a multi-lot tender, else the tender's
let tenderStatus = tender.status;
let status = page.lot ? page.lot.status : tender.status;
let report = null;
let standstillEnds = null;

const fieldProblem = (field, text) => ({ errors: { [field]: [{ detail: text }] }, message: text });
const atField = (error) => (Object.keys(error.errors || {}).length || !error.field ? error
  : Object.assign(error, { errors: { [error.field]: [{ detail: error.message }] } }));

// --- the committee and the declaration ----------------------------------------
let committee = [];
async function loadCommittee() {
  try { committee = await api(`${base}/committee/`); } catch { committee = []; return; }
  $('#committee-section').hidden = false;
  const mine = committee.find((m) => m.id === me.id);
  $('#declare-section').hidden = !(mine && !mine.declared_at);
  renderCommittee();
}
function scoresBy(uid) {
  if (!report) return 0;
  return report.bids.reduce((n, b) => n + Object.values(b.scores || {}).filter((byEval) => byEval[String(uid)] !== undefined).length, 0);
}
function renderCommittee() {
  fill($('#committee'), committee.length ? committee.map((m) => h('tr', { id: `evaluator-${m.id}` },
    h('td', {}, m.name), h('td', { class: 'declared' }, m.declared_at ? timeEl(m.declared_at) : _('not yet')),
    h('td', { class: 'num progress' }, report ? f_(_('%(done)s of %(all)s'), { done: scoresBy(m.id), all: scoreSlots() }) : '—')))
    : h('tr', {}, h('td', { colspan: 3 }, _('No evaluators named yet.'))));
}
const qualifiedBids = () => (report ? report.bids.filter((b) => b.qualification && b.qualification.qualified) : []);
const scoreSlots = () => qualifiedBids().length * (report ? report.criteria.length : 0);

$('#declare').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await api(`${base}/conflict-declaration/`, { method: 'POST', body: { statement: form.elements.statement.value } });
    showErrors(form, null);
    news.textContent = _('Your declaration is recorded.');
    await loadCommittee();
    await loadReport();
  } catch (error) { showErrors(form, atField(error)); }
});

// --- the report: ranking, parts, formula, chart; qualification and scores -----------
// `whenIdle` (a live refresh): a form being filled in is not redrawn under the
// reader's hands; the fresh report waits until the focus leaves the fields.
async function loadReport({ whenIdle = false } = {}) {
  try {
    report = await api(reportUrl);
  } catch (error) {
    report = null;
    const closed = $('#closed');
    closed.hidden = false;
    closed.textContent = error.message;
    return;
  }
  $('#closed').hidden = true;
  status = lot ? report.lot.status : report.status;
  $('#report-section').hidden = false;
  renderCommittee();
  if (whenIdle) renderWhenIdle(); else renderAll();
}
const typing = () => document.activeElement && ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement.tagName);
let idleTimer = null;
function renderWhenIdle() {
  clearTimeout(idleTimer);
  if (typing()) idleTimer = setTimeout(renderWhenIdle, 500); else renderAll();
}
function renderAll() {
  clearTimeout(idleTimer);
  renderReport();
  renderCommittee();
  renderAward();
  renderLotCancel();
}

const ranked = () => report.ranking.map((id) => report.bids.find((b) => b.bid === id)).filter(Boolean);
const declared = () => committee.some((m) => m.id === me.id && m.declared_at);

function renderReport() {
  const criteria = report.criteria;
  $('#formula').textContent = report.award_method === 'best_value'
    ? f_(_('Total = price score (%(price)s × lowest qualified price ÷ bid price) + for each criterion the mean of the evaluators\' points; each figure rounded to %(places)s decimal places.'),
      { price: report.price_weight, places: report.rounding.places })
    : _('The lowest qualified price ranks first.');
  const rows = ranked().filter((b) => b.total !== null);
  const withheld = report.bids.some((b) => b.rank !== null && b.total === null);
  fill($('#chart'), withheld ? h('p', { class: 'hint', id: 'withheld' },
    _('Points on the tender\'s own criteria of a bid still being evaluated in another lot, and its total, are shown once that lot is awarded too.')) : null,
  rows.length ? h('figure', { class: 'chart' },
    barChart(rows.map((b) => ({ label: b.supplier.name, values: [Number(b.total)], texts: [number(Number(b.total), 2)] }))),
    h('figcaption', {}, _('Total score of each qualified bid'))) : null);
  const canQualify = owner && status === 'evaluation';
  const canScore = declared() && status === 'evaluation' && report.award_method === 'best_value';
  const places = report.rounding.places;
  const sorted = [...report.bids].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9));
  const kept = typed($('#bids'));
  const focused = $('#bids').contains(document.activeElement) ? document.activeElement.id : null;
  // A method whose award proposal is the lowest offer in turn: only that offer is checked.
  const proposal = report.award_proposal;
  const inTurn = proposal !== null && proposal !== undefined;
  fill($('#bids'), inTurn ? h('p', { class: 'hint', id: 'proposal-note' },
    _('The lowest offer not disqualified is the award proposal: check its qualification; if you disqualify it, the next lowest takes its place.')) : null,
  h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'h-report' }, h('table', {},
    h('thead', {}, h('tr', {}, [_('Rank'), _('Supplier'), _('Price'), _('Qualification'), _('Price score'),
      ...criteria.map((c) => f_(_('%(name)s (max %(weight)s)'), { name: c.name, weight: c.weight })), _('Total')]
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, sorted.map((b) => h('tr', { id: `bid-${b.bid}`, class: b.bid === proposal ? 'proposal' : null },
      h('td', {}, b.rank ?? '—'),
      h('td', {}, b.supplier.name, b.bid === proposal ? h('span', { class: 'badge' }, ' ', _('Award proposal')) : null),
      h('td', { class: 'num' }, money(b.amount, b.currency)),
      h('td', { class: 'qualification' }, b.qualification
        ? (b.qualification.qualified ? _('qualified') : _('disqualified')) + (b.qualification.reason ? ': ' + b.qualification.reason : '')
        : (inTurn && b.bid !== proposal ? _('waits its turn') : _('not decided'))),
      h('td', { class: 'num' }, decimal(b.price_score, places)),
      ...criteria.map((c) => h('td', { class: 'num' }, decimal(b.quality && b.quality[String(c.id)], places))),
      h('td', { class: 'num total' }, decimal(b.total, places))))))),
  canQualify ? sorted.filter((b) => !inTurn || b.bid === proposal).map(qualifyForm) : null,
  canScore ? qualifiedBids().map(scoreForm) : null);
  restore($('#bids'), kept);
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus({ preventScroll: true });
}
// The form as it is in the page now (a redraw may have replaced the one that was sent).
const current = (form) => document.getElementById(form.id) || form;
const savedNotes = {}; // bid -> the last "Saved." of the reader's scores, kept across redraws

// What the reader has typed or ticked in the bids' forms and not sent yet
// survives a redraw (a live event from another member redraws them).
function typed(root) {
  return [...root.querySelectorAll('form input, form textarea')].filter((el) => (el.type === 'radio'
    ? el.checked !== el.defaultChecked : el.value !== el.defaultValue))
    .map((el) => ({ form: el.form.id, name: el.name, value: el.value, checked: el.checked }));
}
function restore(root, kept) {
  for (const k of kept) {
    const form = root.querySelector(`#${k.form}`);
    const el = form && [...form.elements].find((e) => e.name === k.name && (e.type !== 'radio' || e.value === k.value));
    if (!el) continue;
    if (el.type === 'radio') el.checked = k.checked; else el.value = k.value;
  }
}

function qualifyForm(b) {
  const id = `q-${b.bid}`;
  const form = h('form', { class: 'form panel', id: `qualify-${b.bid}`, novalidate: true },
    h('div', { class: 'error-summary', tabindex: '-1', role: 'alert', hidden: true }),
    h('fieldset', {}, h('legend', {}, f_(_('Qualification of %(supplier)s'), { supplier: b.supplier.name })),
      h('label', {}, h('input', { type: 'radio', name: 'qualified', value: 'yes', checked: b.qualification?.qualified === true }), ' ', _('qualified')), ' ',
      h('label', {}, h('input', { type: 'radio', name: 'qualified', value: 'no', checked: b.qualification?.qualified === false }), ' ', _('disqualified')),
      h('div', { class: 'field' }, h('label', { for: `${id}-reason` }, _('Reason (public)')),
        h('textarea', { id: `${id}-reason`, name: 'reason', rows: 2, 'aria-describedby': `${id}-reason-error` }, b.qualification?.reason || ''),
        h('p', { class: 'field-error', id: `${id}-reason-error` }))),
    h('p', {}, h('button', { type: 'submit' }, _('Record the decision'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const choice = form.elements.qualified.value;
    const reason = form.elements.reason.value.trim();
    if (!choice || !reason) { showErrors(form, fieldProblem('reason', _('Choose qualified or disqualified and give the public reason.'))); return; }
    try {
      await api(`${base}/bids/${b.bid}/qualification/`, { method: 'POST', body: onLot({ qualified: choice === 'yes', reason }) });
      news.textContent = _('The decision is recorded.');
      loadReport();
    } catch (error) { showErrors(current(form), atField(error)); }
  });
  return form;
}

function scoreForm(b) {
  const mine = (cid) => (b.scores && b.scores[String(cid)] ? b.scores[String(cid)][String(me.id)] : undefined);
  const form = h('form', { class: 'form panel', id: `score-${b.bid}`, novalidate: true },
    h('div', { class: 'error-summary', tabindex: '-1', role: 'alert', hidden: true }),
    h('fieldset', {}, h('legend', {}, f_(_('Your scores for %(supplier)s'), { supplier: b.supplier.name })),
      report.criteria.map((c) => {
        const id = `s-${b.bid}-${c.id}`;
        return h('div', { class: 'field' }, h('label', { for: id }, f_(_('%(name)s (0 to %(weight)s)'), { name: c.name, weight: c.weight })),
          h('input', { id, name: String(c.id), inputmode: 'decimal', value: mine(c.id) ?? '', 'aria-describedby': `${id}-error` }),
          h('p', { class: 'field-error', id: `${id}-error` }));
      })),
    h('p', { class: 'saved', role: 'status' }, savedNotes[b.bid] || ''));
  // each score is saved as soon as it is entered (a later one replaces it)
  form.addEventListener('change', async (event) => {
    const input = event.target;
    const value = input.value.trim().replace(',', '.');
    if (!value) return;
    const criterion = report.criteria.find((c) => String(c.id) === input.name);
    if (!(Number(value) >= 0 && Number(value) <= criterion.weight)) {
      showErrors(form, fieldProblem(input.name, f_(_('Points are between 0 and %(weight)s.'), { weight: criterion.weight })));
      return;
    }
    try {
      await api(`${base}/bids/${b.bid}/scores/`, { method: 'POST', body: { [input.name]: value } });
      savedNotes[b.bid] = _('Saved.');
      showErrors(current(form), null);
      current(form).querySelector('.saved').textContent = savedNotes[b.bid];
      report = await api(reportUrl);
      renderCommittee();
    } catch (error) { showErrors(current(form), atField(error)); }
  });
  return form;
}

// --- award and standstill -------------------------------------------------------
function renderAward() {
  const award = report.award;
  const names = Object.fromEntries(report.bids.map((b) => [b.bid, b.supplier.name]));
  $('#award-section').hidden = !(award || (owner && status === 'evaluation'));
  standstillEnds = award ? Date.parse(award.standstill_ends_at) : null;
  fill($('#award'), award ? h('div', { class: 'panel' },
    h('p', {}, h('strong', {}, _('Winner')), ': ', names[award.bid] || `#${award.bid}`, ' — ', timeEl(award.awarded_at)),
    award.justification ? h('p', {}, _('Justification'), ': ', award.justification) : null,
    h('p', {}, _('Standstill period ends'), ': ', timeEl(award.standstill_ends_at, false, true), ' ', h('span', { id: 'standstill' }))) : null);
  const form = $('#award-form');
  form.hidden = !(owner && status === 'evaluation' && ranked().length);
  $('#award-wait').hidden = !(owner && status === 'evaluation' && !award && !ranked().length);
  if (form.hidden) return;
  fill(form.elements.bid, ranked().map((b) => h('option', { value: b.bid }, f_(_('%(rank)s. %(supplier)s — %(total)s'),
    { rank: b.rank, supplier: b.supplier.name, total: b.total ?? '—' }))));
  justificationHint();
  tick();
}
function justificationHint() {
  const form = $('#award-form');
  const top = report.ranking[0];
  const chosen = Number(form.elements.bid.value);
  $('#w-justification-hint').textContent = chosen && chosen !== top
    ? _('This bid is not the top-ranked one: a written justification is required.')
    : _('The top-ranked bid needs no justification.');
}
$('#award-form').addEventListener('change', justificationHint);
$('#award-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const bid = Number(form.elements.bid.value);
  const justification = form.elements.justification.value.trim();
  if (bid !== report.ranking[0] && !justification) {
    showErrors(form, fieldProblem('justification', _('This bid is not the top-ranked one: a written justification is required.')));
    return;
  }
  try {
    await api(`${base}/award/`, { method: 'POST', body: onLot({ bid, justification }) });
    showErrors(form, null);
    news.textContent = _('The award is published; the standstill period has started.');
    loadReport();
    loadComplaints();
  } catch (error) { showErrors(form, atField(error)); }
});
function tick() {
  const el = $('#standstill');
  // once over, no "(0 sec left)" under a completed tender: the status says it
  if (el && standstillEnds) el.textContent = standstillEnds > serverNow() ? f_(_('(%(left)s left)'), { left: countdown(standstillEnds - serverNow()) }) : '';
}
setInterval(tick, 1000);

// --- one lot cancelled (a multi-lot tender's officer; the other lots go on) ------
const lotCancel = $('#lot-cancel');
function renderLotCancel() {
  if (lotCancel) $('#lot-cancel-section').hidden = !(owner && ['evaluation', 'awarded'].includes(status));
}
if (lotCancel) {
  lotCancel.addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = lotCancel.elements.reason.value.trim();
    if (!reason) { showErrors(lotCancel, fieldProblem('reason', _('Give the public reason.'))); return; }
    if (!$('#lc-sure').checked) { showErrors(lotCancel, { errors: {}, message: _('Tick the box to confirm.') }); return; }
    try {
      await api(`${base}/lots/${lot}/cancel/`, { method: 'POST', body: { reason } });
      showErrors(lotCancel, null);
      news.textContent = _('The lot is cancelled.');
      lotStatus(lot, 'cancelled');
      loadReport();
      loadComplaints();
    } catch (error) { showErrors(lotCancel, atField(error)); }
  });
}

// --- complaints ---------------------------------------------------------------
async function loadComplaints() {
  let complaints;
  try { complaints = await api(`${base}/complaints/`); } catch { return; }
  complaints = complaints.filter((c) => !lot || String(c.lot) === lot);
  if (!complaints.length) return;
  $('#complaints-section').hidden = false;
  fill($('#complaints'), complaints.map((c) => {
    const item = h('li', { id: `complaint-${c.id}` }, h('p', {}, h('strong', {}, c.supplier.name), ' ', timeEl(c.filed_at), ' — ', complaintStatus(c.status)),
      h('p', {}, c.text), c.resolution ? h('p', { class: 'answer' }, _('Resolution'), ': ', c.resolution) : null);
    if (owner && c.status === 'open') {
      const id = `r-${c.id}`;
      const form = h('form', { class: 'form', novalidate: true },
        h('div', { class: 'error-summary', tabindex: '-1', role: 'alert', hidden: true }),
        h('div', { class: 'field' }, h('label', { for: `${id}-resolution` }, _('Decision (public)')),
          h('textarea', { id: `${id}-resolution`, name: 'resolution', rows: 3, 'aria-describedby': `${id}-resolution-error` }),
          h('p', { class: 'field-error', id: `${id}-resolution-error` })),
        h('p', {}, h('button', { type: 'submit', name: 'dismiss' }, _('Dismiss')), ' ',
          h('button', { type: 'submit', name: 'uphold', class: 'danger' }, _('Uphold (annuls the award)'))));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const resolution = form.elements.resolution.value.trim();
        if (!resolution) { showErrors(form, fieldProblem('resolution', _('Write the decision.'))); return; }
        const upheld = event.submitter && event.submitter.name === 'uphold';
        try {
          await api(`${base}/complaints/${c.id}/resolve/`, { method: 'POST', body: { upheld, resolution } });
          loadComplaints();
          loadReport();
        } catch (error) { showErrors(form, atField(error)); }
      });
      item.append(form);
    }
    return item;
  }));
}

let refreshTimer = null;
const audit = auditTrail(tender.id, { lots: Object.fromEntries((page.lots || []).map((l) => [l.id, l.title])) });
function lotStatus(id, next) {
  const badge = document.getElementById(`lot-status-${id}`);
  if (!badge) return;
  badge.className = `badge s-${next}`;
  badge.textContent = statusLabel(next);
}
// --- live: status changes on the tender's public socket; the committee's
// declarations and scores on its own channel (the server lets only the
// buyer's officers and the committee join it; 4403 for anyone else). Every
// event is also a new entry of the audit trail.
connect(`/ws/tenders/${tender.id}/`, {
  onMessage(event) {
    if (event.type !== 'snapshot') audit.refreshSoon();
    const ours = !lot || event.lot === undefined || String(event.lot) === lot;
    if (event.type === 'lot_status_changed') {
      lotStatus(event.lot, event.lot_status);
      if (ours) { loadCommittee().then(() => loadReport({ whenIdle: true })); loadComplaints(); }
    }
    if (ours && (event.type === 'qualification' || event.type === 'award_proposal' || event.type === 'complaint_filed'
        || event.type === 'complaint_resolved')) {
      refreshSoon();
      loadComplaints();
    }
    if (!event.status || event.status === tenderStatus) return;
    tenderStatus = event.status;
    const badge = $('#status');
    badge.className = `badge s-${tenderStatus}`;
    badge.textContent = statusLabel(tenderStatus);
    loadCommittee().then(() => loadReport({ whenIdle: true }));
    loadComplaints();
  },
});
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    await loadCommittee();
    const mine = committee.find((m) => m.id === me.id);
    if (!mine || mine.declared_at || owner) await loadReport({ whenIdle: true });
  }, 200);
}
if (me.role === 'officer') {
  // on a reconnection, what was missed meanwhile is read again
  let opened = false;
  connect(`/ws/tenders/${tender.id}/committee/`, {
    onMessage() { refreshSoon(); audit.refreshSoon(); },
    onOpen() { if (opened) { refreshSoon(); audit.refreshSoon(); } opened = true; },
  });
}

loadCommittee().then(() => {
  const mine = committee.find((m) => m.id === me.id);
  if (!mine || mine.declared_at || owner) loadReport();
});
loadComplaints();
