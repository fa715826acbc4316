// The live auction page (/tenders/{id}/auction/?lot=): everyone watches the
// stage, whose turn it is and until when, the prices by participant number
// and the protocol; a participant gets a price form that is enabled only in
// its turn, with the highest allowed price filled in. Every change comes on
// the tender's socket as the auction's whole public state with the server's
// time (a reconnect's snapshot holds it too); countdowns follow the server
// clock. Which turn a price falls into is the server's decision: the page
// only stops offering the form when the turn is over by the server clock.
import { page } from '../common.js';
import { api, showErrors } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h } from '../dom.js';
import { _, f_ } from '../i18n.js';
import { countdown, money, serverNow, syncClock, timeEl } from '../format.js';

const tender = page.tender;
const lot = page.lot;
const currency = tender.currency;
const form = $('#price-form');
let state = page.auction; // AuctionOut, or null before it is scheduled
let you = state && state.you !== undefined ? state.you : null;
let inFlight = false;

const STATUS = {
  scheduled: () => _('Scheduled'),
  running: () => _('Running'),
  finished: () => _('Finished'),
  skipped: () => _('No auction'),
};
const who = (n) => (n === you ? f_(_('Participant %(n)s (you)'), { n }) : f_(_('Participant %(n)s'), { n }));

// Money as exact cents (BigInt): a price may have 16 digits.
const cents = (text) => {
  const [whole, frac = ''] = String(text).split('.');
  return BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
};
const fromCents = (c) => `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;

function stageText(s) {
  if (s.status === 'skipped') return _('Fewer than two offers were admitted: there is no auction, and the only admitted offer is the award proposal.');
  const stage = s.stage;
  if (!stage || stage.kind === 'scheduled') return _('The auction has not started yet.');
  if (stage.kind === 'finished' || s.status === 'finished') return _('The auction has finished: the final prices rank the lot.');
  if (stage.kind === 'pause') {
    return stage.round === 0 ? _('Opening pause: the admitted initial prices.')
      : f_(_('Pause before round %(round)s of %(rounds)s.'), { round: stage.round + 1, rounds: s.rounds });
  }
  return f_(_('Round %(round)s of %(rounds)s: turn of %(who)s.'), { round: stage.round, rounds: s.rounds,
    who: who(stage.participant) });
}

// The highest price this participant may offer in its current or next turn.
function maxPrice(s) {
  if (you === null || !s.stage) return null;
  const mine = s.participants.find((p) => p.number === you);
  if (!mine) return null;
  let base = cents(mine.price);
  if (s.stage.kind === 'turn' && s.stage.participant === you && s.protocol.length) {
    base = cents(s.protocol[s.protocol.length - 1].price_before);
  }
  const max = base - cents(s.minimal_step);
  return max > 0n ? fromCents(max) : null;
}

function myTurnNow(s) {
  return s && s.status === 'running' && s.stage && s.stage.kind === 'turn' && s.stage.participant === you
    && Date.parse(s.stage.ends) > serverNow();
}

function renderForm() {
  if (!form || you === null || !state) return;
  form.hidden = state.status === 'skipped' || state.status === 'finished';
  fill($('#you'), f_(_('You are Participant %(n)s.'), { n: you }));
  const open = myTurnNow(state);
  const max = maxPrice(state);
  const amount = $('#amount');
  const wasOpen = !amount.disabled;
  amount.disabled = !open || inFlight;
  $('#submit').disabled = !open || inFlight;
  if (open && !wasOpen && max) amount.value = max; // the highest allowed price, filled in
  fill($('#amount-hint'), max ? f_(_('At most %(price)s in your turn.'), { price: money(max, currency) }) : '',
    open ? '' : ' ' + _('The form opens in your turn.'));
}

function render() {
  if (!state) return;
  fill($('#auction-status'), (STATUS[state.status] || (() => state.status))());
  $('#auction-status').className = `badge s-${state.status}`;
  fill($('#stage'), stageText(state));
  fill($('#step'), money(state.minimal_step, currency));
  fill($('#participants'), state.participants.map((p) => h('tr', { id: `participant-${p.number}` },
    h('th', { scope: 'row' }, who(p.number), p.name ? ` — ${p.name}` : ''),
    h('td', { class: 'num' }, money(p.initial, currency)),
    h('td', { class: 'num' }, money(p.price, currency)))));
  fill($('#order'), state.order.map((n) => h('li', {
    'aria-current': state.stage && state.stage.participant === n ? 'step' : null }, who(n))));
  fill($('#protocol'), state.protocol.map((t) => h('tr', {},
    h('td', {}, String(t.round)), h('td', {}, who(t.participant)),
    h('td', {}, timeEl(t.starts, true), ' – ', timeEl(t.ends, true)),
    h('td', { class: 'num' }, t.prices.length ? t.prices.map((p) => money(p.amount, currency)).join(' → ')
      : _('no change')))));
  renderTimeline();
  renderForm();
  tick();
}

// The stages' times, from the stored start and lengths (as the server derives them).
function renderTimeline() {
  const box = $('#timeline');
  if (!state || !state.start || !state.end) { box.replaceChildren(); return; }
  const start = Date.parse(state.start);
  const n = state.participants.length;
  const roundAt = (r) => start + 1000 * (state.pause + (r - 1) * (n * state.turn_seconds + state.pause));
  const items = [[_('Opening pause'), start, 0]];
  for (let r = 1; r <= state.rounds; r += 1) items.push([f_(_('Round %(round)s'), { round: r }), roundAt(r), r]);
  items.push([_('End'), Date.parse(state.end), state.rounds + 1]);
  const stage = state.stage || {};
  const current = state.status === 'finished' ? state.rounds + 1
    : stage.kind === 'turn' ? stage.round : stage.kind === 'pause' ? stage.round : -1;
  fill(box, items.map(([label, at, key]) => h('li', { 'aria-current': key === current ? 'step' : null },
    label, ' — ', timeEl(new Date(at).toISOString(), true))));
}

function tick() {
  const box = $('#countdown');
  if (!state || !state.stage) { box.textContent = ''; return; }
  const now = serverNow();
  const stage = state.stage;
  if (stage.kind === 'scheduled') {
    box.textContent = f_(_('Starts in %(time)s'), { time: countdown(Date.parse(state.start) - now) });
  } else if (stage.ends && state.status !== 'finished') {
    const left = Date.parse(stage.ends) - now;
    box.textContent = stage.kind === 'turn'
      ? f_(_('This turn ends in %(time)s'), { time: countdown(left) })
      : f_(_('Next stage in %(time)s'), { time: countdown(left) });
  } else {
    box.textContent = '';
  }
  if (you !== null && form && !$('#amount').disabled && !myTurnNow(state)) renderForm(); // the turn ran out
}
setInterval(tick, 250);

async function refresh() {
  // the whole state, protocol included (and, for a participant, its number)
  try {
    const full = await api(`/api/tenders/${tender.id}/lots/${lot.id}/auction/`);
    if (full.you !== undefined) you = full.you;
    apply(full);
  } catch { /* the next event or reconnect brings it */ }
}

function apply(next) {
  if (!next || next.lot !== lot.id) return;
  // each state carries the server time it was read at: the countdowns follow it
  syncClock(next.server_time, Date.now());
  state = { ...next, you: state ? state.you : undefined };
  render();
}

const sameTurn = (t, stage) => t.round === stage.round && t.position === stage.position;

// An event carries the state but its protocol (kept small for a thousand
// watchers): the page adds the turn or the price it announces, and re-reads
// the whole state when it has missed a stage (or at the end, for the record).
function applyEvent(message) {
  const next = message.auction;
  if (!next || next.lot !== lot.id) return;
  if (!state) { refresh(); return; }
  const seen = state.stage ? state.stage.index : 0;
  const stage = next.stage;
  if (next.status === 'finished' || (stage && stage.index > seen + 1)) { refresh(); return; }
  const protocol = (state.protocol || []).map((t) => ({ ...t }));
  if (message.type === 'auction_price') {
    const row = protocol.find((t) => sameTurn(t, stage));
    if (!row) { refresh(); return; }
    row.prices = [...row.prices, { amount: message.amount, at: message.at, sha256: '' }];
  } else if (stage && stage.kind === 'turn' && !protocol.some((t) => sameTurn(t, stage))) {
    const inTurn = state.participants.find((p) => p.number === stage.participant);
    protocol.push({ round: stage.round, position: stage.position, participant: stage.participant,
      starts: stage.starts, ends: stage.ends, price_before: inTurn ? inTurn.price : '0', prices: [] });
  }
  apply({ ...next, protocol });
}

connect(`/ws/tenders/${tender.id}/`, {
  onMessage(message) {
    if (message.type === 'snapshot') {
      const mine = (message.auctions || []).find((a) => a.lot === lot.id);
      if (mine) {
        if (!state && you === null && page.me && page.me.role === 'supplier') refresh(); // its number, if any
        else apply(mine);
      }
    } else if (message.type.startsWith('auction_') && message.lot === lot.id) {
      if (message.type === 'auction_price') {
        fill($('#news'), f_(_('%(who)s offered %(price)s.'), { who: who(message.participant),
          price: money(message.amount, currency) }));
      }
      applyEvent(message);
    }
  },
});

if (form) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (inFlight) return;
    const amount = $('#amount').value.trim().replace(/\s/g, '').replace(',', '.');
    inFlight = true;
    renderForm();
    try {
      const receipt = await api(`/api/tenders/${tender.id}/lots/${lot.id}/auction/bids/`,
        { method: 'POST', body: { amount } });
      showErrors(form, null);
      fill($('#receipt'), f_(_('Accepted: %(price)s. Receipt %(hash)s, signed at the server time %(time)s.'),
        { price: money(receipt.amount, currency), hash: receipt.sha256.slice(0, 16) + '…', time: receipt.received_at }));
    } catch (error) {
      // a rule's code belongs to the price field: show it there, in the page's language
      if (error.field && !Object.keys(error.errors).length) error.errors = { [error.field]: [{ detail: error.message }] };
      showErrors(form, error);
    } finally {
      inFlight = false;
      renderForm();
    }
  });
}

render();
