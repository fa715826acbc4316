// A tender's audit trail (GET /api/tenders/{id}/audit/), shared by the public
// tender page and the evaluation page: each entry with its event as a
// translated label (the raw code kept beside it for the technical reader),
// and the hash chain verified in this browser.
import { api } from './api.js';
import { $, fill, h } from './dom.js';
import { _, f_, ngettext, pgettext } from './i18n.js';
import { timeEl } from './format.js';
import { canonical, sha256Hex } from './canonical.js';

// Every event the services write (audit.append / a status transition).
const EVENTS = {
  tender_created: () => pgettext('audit event', 'Tender created'),
  tender_edited: () => pgettext('audit event', 'Draft edited'),
  tender_published: () => pgettext('audit event', 'Tender published'),
  tender_amended: () => pgettext('audit event', 'Tender amended'),
  tender_cancelled: () => pgettext('audit event', 'Tender cancelled'),
  document_added: () => pgettext('audit event', 'Document added'),
  question_asked: () => pgettext('audit event', 'Question asked'),
  question_answered: () => pgettext('audit event', 'Question answered'),
  bid_submitted: () => pgettext('audit event', 'Bid submitted'),
  bid_replaced: () => pgettext('audit event', 'Bid replaced'),
  bid_withdrawn: () => pgettext('audit event', 'Bid withdrawn'),
  bid_confirmed: () => pgettext('audit event', 'Bid confirmed'),
  bids_opened: () => pgettext('audit event', 'Bids opened'),
  evaluation_started: () => pgettext('audit event', 'Evaluation started'),
  evaluators_named: () => pgettext('audit event', 'Evaluators named'),
  conflict_declared: () => pgettext('audit event', 'No conflict of interest declared'),
  bid_qualified: () => pgettext('audit event', 'Bid qualified'),
  bid_disqualified: () => pgettext('audit event', 'Bid disqualified'),
  bid_scored: () => pgettext('audit event', 'Bid scored'),
  tender_awarded: () => pgettext('audit event', 'Winner determined'),
  lot_awarded: () => pgettext('audit event', 'Winner of a lot determined'),
  complaint_filed: () => pgettext('audit event', 'Complaint filed'),
  complaint_resolved: () => pgettext('audit event', 'Complaint resolved'),
  award_annulled: () => pgettext('audit event', 'Award annulled'),
  tender_completed: () => pgettext('audit event', 'Tender completed'),
  lot_completed: () => pgettext('audit event', 'Lot completed'),
  tender_unsuccessful: () => pgettext('audit event', 'Tender unsuccessful'),
  lot_unsuccessful: () => pgettext('audit event', 'Lot unsuccessful'),
  lot_cancelled: () => pgettext('audit event', 'Lot cancelled'),
  note: () => pgettext('audit event', 'Note'),
};
export const eventLabel = (code) => (EVENTS[code] ? EVENTS[code]() : code);

const ROLES = {
  officer: () => pgettext('audit role', 'buyer'),
  supplier: () => pgettext('audit role', 'supplier'),
  evaluator: () => pgettext('audit role', 'evaluator'),
  system: () => pgettext('audit role', 'platform'),
  staff: () => pgettext('audit role', 'platform staff'),
};
const roleLabel = (code) => (ROLES[code] ? ROLES[code]() : code);

// The trail in `#audit`, its check's result in `#audit-result`, the check on
// `#verify-audit`'s click (the page's _audit.html). `lots`: id -> title, to
// name the lot an entry is about on a multi-lot tender.
export function auditTrail(tenderId, { lots = {} } = {}) {
  const table = $('#audit');
  const result = $('#audit-result');
  let audit = null;
  let timer = null;

  function row(e) {
    const lot = e.data && e.data.lot !== undefined && lots[e.data.lot];
    return h('tr', { id: `audit-${e.seq}` },
      h('td', { class: 'num' }, e.seq),
      h('td', {}, timeEl(e.at, true)),
      h('td', { class: 'event' }, h('span', { class: 'event-label' }, eventLabel(e.event)),
        lot ? h('span', { class: 'muted' }, ' — ', lot) : null, h('br'),
        h('code', { class: 'event-code' }, e.event)),
      h('td', {}, roleLabel(e.role), e.actor ? h('span', { class: 'muted' }, h('br'), e.actor) : null),
      h('td', {}, h('code', { class: 'hash', title: e.hash }, e.hash.slice(0, 16) + '…')));
  }

  async function load() {
    try {
      const fresh = await api(`/api/tenders/${tenderId}/audit/`);
      if (audit && fresh.length !== audit.length) { result.className = ''; result.textContent = ''; }
      audit = fresh;
      fill(table, h('table', { class: 'plain' },
        h('thead', {}, h('tr', {}, [_('#'), _('Time'), _('Event'), _('Role'), _('Hash')].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, audit.entries.map(row))));
    } catch (error) {
      audit = null;
      fill(table, h('p', { class: 'error' }, error.message));
    }
  }

  // Recompute every entry's hash from its fields and the previous hash: the
  // chain is intact only if each stored hash is the recomputed one.
  async function verify() {
    result.className = '';
    result.textContent = _('Checking…');
    await load();
    if (!audit) { result.textContent = ''; return; }
    let prev = '0'.repeat(64);
    for (const e of audit.entries) {
      const payload = { tender: audit.tender, seq: e.seq, at: e.at, actor: e.actor, role: e.role, event: e.event, data: e.data, prev };
      const hash = await sha256Hex(canonical(payload));
      if (e.prev_hash !== prev || hash !== e.hash) {
        result.className = 'error';
        result.textContent = f_(_('The chain is broken at entry %(seq)s: its hash does not match its content.'), { seq: e.seq });
        const tr = document.getElementById(`audit-${e.seq}`);
        if (tr) tr.classList.add('error');
        return;
      }
      prev = hash;
    }
    if (audit.entries.length && prev !== audit.head) {
      result.className = 'error';
      result.textContent = _('The chain does not end at the head the tender records: entries are missing.');
      return;
    }
    result.className = 'ok';
    result.textContent = f_(ngettext('All %(n)s entry verified: the chain is intact.', 'All %(n)s entries verified: the chain is intact.', audit.entries.length), { n: audit.entries.length });
  }

  $('#verify-audit').addEventListener('click', verify);
  load();
  return {
    load,
    verify,
    // a live event means a new entry: read the trail again (once for a burst)
    refreshSoon() { clearTimeout(timer); timer = setTimeout(load, 300); },
  };
}
