// The buyer's workspace (/buyer/): its drafts and tenders, and what needs
// doing now (drafts to publish, questions to answer, bids to evaluate,
// complaints to resolve), kept current by the register's socket.
import { page } from '../common.js';
import { api } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h } from '../dom.js';
import { _, f_, ngettext, statusLabel } from '../i18n.js';
import { timeEl } from '../format.js';

const rows = $('#rows');
const todo = $('#todo');
const feed = $('#feed');
const buyerId = page.me.organisation && page.me.organisation.id;

function row(t) {
  return h('tr', { id: `tender-${t.id}` },
    h('td', {}, h('a', { href: `/buyer/tenders/${t.id}/` }, t.title)),
    h('td', { class: 'status' }, h('span', { class: `badge s-${t.status}` }, statusLabel(t.status))),
    h('td', {}, timeEl(t.submission_deadline)),
    h('td', { class: 'num bids' }, String(t.bid_count)));
}

async function tasksFor(t) {
  const link = (text, href) => h('li', {}, h('a', { href }, t.title), ': ', text);
  const own = `/buyer/tenders/${t.id}/`;
  if (t.status === 'draft') return [link(_('a draft to finish and publish'), own)];
  if (t.status === 'evaluation') return [link(_('bids to qualify and score'), `/tenders/${t.id}/evaluation/`)];
  if (t.status === 'active') {
    const questions = await api(`/api/tenders/${t.id}/questions/`);
    const open = questions.filter((q) => q.answer === null).length;
    return open ? [link(f_(ngettext('%(n)s question to answer', '%(n)s questions to answer', open), { n: open }), own)] : [];
  }
  if (t.status === 'awarded') {
    const complaints = await api(`/api/tenders/${t.id}/complaints/`);
    const open = complaints.filter((c) => c.status === 'open').length;
    return [open ? link(f_(ngettext('%(n)s complaint to resolve', '%(n)s complaints to resolve', open), { n: open }), `/tenders/${t.id}/evaluation/`)
      : link(_('standstill running'), `/tenders/${t.id}/evaluation/`)];
  }
  return [];
}

async function load() {
  if (!buyerId) return;
  try {
    const body = await api('/api/tenders/?' + new URLSearchParams({ buyer: buyerId, ordering: '-submission_deadline', page_size: 100 }));
    fill(rows, body.results.length ? body.results.map(row) : h('tr', {}, h('td', { colspan: 4 }, _('No tenders yet.'))));
    const tasks = (await Promise.all(body.results.map(tasksFor))).flat();
    fill(todo, tasks.length ? tasks : h('li', { class: 'muted' }, _('Nothing needs doing now.')));
  } catch (error) {
    fill(todo, h('li', { class: 'error' }, error.message));
  }
}

let timer = null;
const loadSoon = () => { clearTimeout(timer); timer = setTimeout(load, 300); };

if (buyerId) {
  load();
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
