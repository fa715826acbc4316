// The buyer's workspace (/buyer/): its drafts and tenders, and what needs
// doing now, kept current by the register's socket (statuses, bid counts)
// and each open tender's own sockets (questions, qualifications, awards,
// complaints; declarations and scores on the committee channel).
import { page } from '../common.js';
import { api } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h } from '../dom.js';
import { _, f_, ngettext, statusLabel } from '../i18n.js';
import { countdown, serverNow, timeEl } from '../format.js';

const rows = $('#rows');
const todo = $('#todo');
const feed = $('#feed');
const buyerId = page.me.organisation && page.me.organisation.id;

function row(t) {
  return h('tr', { id: `tender-${t.id}` },
    h('td', {}, h('a', { href: `/buyer/tenders/${t.id}/` }, t.title)),
    h('td', { class: 'status' }, h('span', { class: `badge s-${t.status}` }, statusLabel(t.status))),
    h('td', {}, timeEl(t.submission_deadline, false, true)),
    h('td', { class: 'num bids' }, String(t.bid_count)));
}

// What needs doing now on one tender (on each lot of a multi-lot tender):
// the draft to publish, questions to answer, bids to qualify, declarations
// and scores missing, a ranking ready to award, complaints to resolve, and
// when each standstill period ends.
const EVALUATED = ['evaluation', 'awarded'];
async function tasksFor(t) {
  const own = `/buyer/tenders/${t.id}/`;
  if (t.status === 'draft') return [task(t, null, own, _('a draft to finish and publish'))];
  if (t.status === 'active') {
    const questions = await api(`/api/tenders/${t.id}/questions/`);
    const open = questions.filter((q) => q.answer === null).length;
    return open ? [task(t, null, own, f_(ngettext('%(n)s question to answer', '%(n)s questions to answer', open), { n: open }), 'questions')] : [];
  }
  if (!EVALUATED.includes(t.status)) return [];
  const [detail, complaints] = await Promise.all([api(`/api/tenders/${t.id}/`), api(`/api/tenders/${t.id}/complaints/`)]);
  const lots = detail.lots.filter((l) => EVALUATED.includes(l.status));
  const perLot = await Promise.all(lots.map((lot) => lotTasks(t, detail.lots.length > 1 ? lot : null, lot, complaints)));
  return perLot.flat();
}

async function lotTasks(t, named, lot, complaints) {
  const evaluation = `/tenders/${t.id}/evaluation/` + (named ? `?lot=${lot.id}` : '');
  const item = (text, kind, ...more) => task(t, named, evaluation, text, kind, ...more);
  let report;
  try {
    report = await api(`/api/tenders/${t.id}/evaluation/?lot=${lot.id}`);
  } catch (error) {
    // an officer of the buyer who is also on the committee sees the bids only after declaring
    if (error.code === 'conflict_declaration_required') return [item(_('your declaration of no conflict of interest'), 'declaration')];
    throw error;
  }
  const tasks = [];
  // A method whose award proposal is the lowest offer in turn (price quotation, single
  // source): the report names it, and only its qualification is checked before the award.
  const proposal = report.award_proposal === null ? null : report.bids.find((b) => b.bid === report.award_proposal);
  if (lot.status === 'evaluation' && proposal) {
    if (!proposal.qualification) tasks.push(item(_('check the award proposal (the lowest offer)'), 'qualify'));
    else if (proposal.qualification.qualified && !report.award) tasks.push(item(_('the award proposal is qualified: award'), 'award'));
  } else if (lot.status === 'evaluation') {
    const undecided = report.bids.filter((b) => !b.qualification).length;
    if (undecided) tasks.push(item(f_(ngettext('%(n)s bid to qualify', '%(n)s bids to qualify', undecided), { n: undecided }), 'qualify'));
    let missing = 0;
    if (report.award_method === 'best_value') {
      const declared = report.committee.filter((m) => m.declared_at);
      const waiting = report.committee.length - declared.length;
      if (!report.committee.length) tasks.push(task(t, named, `/buyer/tenders/${t.id}/`, _('name the evaluation committee'), 'committee'));
      if (waiting) tasks.push(item(f_(ngettext('%(n)s evaluator has not declared yet', '%(n)s evaluators have not declared yet', waiting), { n: waiting }), 'declarations'));
      for (const b of report.bids.filter((x) => x.qualification && x.qualification.qualified)) {
        for (const c of report.criteria) {
          const given = (b.scores && b.scores[String(c.id)]) || {};
          missing += declared.filter((m) => given[String(m.id)] === undefined).length;
        }
      }
      if (missing) tasks.push(item(f_(ngettext('%(n)s score missing', '%(n)s scores missing', missing), { n: missing }), 'scores'));
    }
    // the server's rule (evaluation.services._check_ready): at least one evaluator declared, and
    // every declared one has scored every qualified bid on every criterion
    const scored = report.award_method !== 'best_value' || (report.committee.some((m) => m.declared_at) && !missing);
    if (!undecided && scored && report.ranking.length && !report.award) {
      tasks.push(item(_('the ranking is complete: award'), 'award'));
    }
  }
  const open = complaints.filter((c) => c.status === 'open' && c.lot === lot.id).length;
  if (open) tasks.push(item(f_(ngettext('%(n)s complaint to resolve', '%(n)s complaints to resolve', open), { n: open }), 'complaints'));
  if (lot.status === 'awarded' && report.award) {
    const ends = report.award.standstill_ends_at;
    tasks.push(item(_('the standstill period ends'), 'standstill', ' ', timeEl(ends, false, true), ' ',
      h('span', { class: 'left', 'data-ends': ends }, left(ends))));
  }
  return tasks;
}

function task(t, lot, href, text, kind = 'draft', ...more) {
  return h('li', { class: `task task-${kind}`, 'data-tender': t.id },
    h('a', { href }, t.title), lot ? ` — ${lot.title}` : '', ': ', text, ...more);
}
const left = (iso) => {
  const ms = Date.parse(iso) - serverNow();
  return ms > 0 ? f_(_('(%(left)s left)'), { left: countdown(ms) }) : _('(ended: the tender completes shortly)');
};

async function load() {
  if (!buyerId) return;
  try {
    const body = await api('/api/tenders/?' + new URLSearchParams({ buyer: buyerId, ordering: '-submission_deadline', page_size: 100 }));
    fill(rows, body.results.length ? body.results.map(row) : h('tr', {}, h('td', { colspan: 4 }, _('No tenders yet.'))));
    follow(body.results);
    const tasks = (await Promise.all(body.results.map(tasksFor))).flat();
    fill(todo, tasks.length ? tasks : h('li', { class: 'muted' }, _('Nothing needs doing now.')));
  } catch (error) {
    fill(todo, h('li', { class: 'error' }, error.message));
  }
}

let timer = null;
const loadSoon = () => { clearTimeout(timer); timer = setTimeout(load, 300); };

// One socket per open tender (and its committee channel while in evaluation):
// what changes a task arrives there, not on the register's feed.
const followed = new Map();
function follow(tenders) {
  const wanted = new Map();
  for (const t of tenders) {
    if (['active', ...EVALUATED].includes(t.status)) wanted.set(`/ws/tenders/${t.id}/`, true);
    if (t.status === 'evaluation') wanted.set(`/ws/tenders/${t.id}/committee/`, true);
  }
  for (const [path, socket] of followed) {
    if (!wanted.has(path)) { socket.close(); followed.delete(path); }
  }
  for (const path of wanted.keys()) {
    if (!followed.has(path)) {
      followed.set(path, connect(path, { onMessage: (event) => { if (event.type !== 'snapshot') loadSoon(); } }));
    }
  }
}

if (buyerId) {
  load();
  setInterval(() => { for (const el of todo.querySelectorAll('[data-ends]')) el.textContent = left(el.dataset.ends); }, 1000);
  let connectedOnce = false;
  connect('/ws/tenders/', {
    onOpen() { if (connectedOnce) load(); connectedOnce = true; },
    onMessage(event) {
      const tr = document.getElementById(`tender-${event.tender}`);
      if (!tr) return;
      const title = tr.querySelector('a').textContent;
      if (event.type === 'bid_count_changed') tr.querySelector('.bids').textContent = String(event.bid_count);
      if (event.type === 'status_changed') {
        feed.prepend(h('li', {}, f_(_('%(title)s: %(status)s'), { title, status: statusLabel(event.status) })));
      }
      loadSoon();
    },
  });
}
