// The bid page (/tenders/{id}/bid/): a sealed bid from the tender's
// criteria, the price and documents; each form's content carries its own
// Idempotency-Key, so a double click or a retry after a network error makes
// one bid. Then the signed receipt; replace, withdraw, confirm.
import { page } from '../common.js';
import { api, newKey, showErrors, upload } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h } from '../dom.js';
import { _, f_, statusLabel } from '../i18n.js';
import { bytes, countdown, serverNow, timeEl } from '../format.js';
import { receiptView } from '../receipt.js';

const tender = page.tender;
const base = `/api/tenders/${tender.id}`;
const form = $('#bid-form');
let deadline = Date.parse(tender.submission_deadline);
let status = tender.status;
let bid = null; // the organisation's bid on this tender, as GET …/bids/ shows it
let key = newKey();
let inFlight = false;
let closed = false;

function closeForm(message) {
  closed = true;
  const box = $('#closed');
  box.textContent = message;
  box.hidden = false;
  if (form) for (const el of form.elements) el.disabled = true; // what was typed stays visible
}

function tick() {
  const box = $('#countdown');
  if (status !== 'active') {
    box.textContent = '';
    if (!closed) closeForm(f_(_('This tender no longer accepts bids (%(status)s).'), { status: statusLabel(status) }));
    return;
  }
  const left = deadline - serverNow();
  if (left > 0) box.textContent = f_(_('Bids close in %(time)s'), { time: countdown(left) });
  else {
    box.textContent = '';
    if (!closed) closeForm(_('The submission deadline has passed: the form is closed and no bid can be sent.'));
  }
}

function renderCurrent() {
  const slot = $('#current');
  const withdraw = $('#withdraw');
  const active = bid && bid.status === 'submitted';
  $('#confirm-banner').hidden = !(active && bid.needs_confirmation);
  withdraw.hidden = !active;
  $('#submit').textContent = active ? _('Replace the bid') : _('Submit the bid');
  $('#form-h').textContent = active ? _('Replace your bid with a new sealed version') : _('Submit a sealed bid');
  if (!bid) { fill(slot); return; }
  fill(slot, h('div', { class: 'panel', id: 'bid-state' },
    h('p', {}, h('strong', {}, bid.status === 'withdrawn' ? _('Your bid is withdrawn.') : _('Your bid is sealed and submitted.')),
      ' ', _('Last received'), ': ', timeEl(bid.received_at, true, true)),
    h('p', {}, _('SHA-256'), ': ', h('code', { class: 'hash' }, bid.sha256))));
}

async function loadBid() {
  try {
    const bids = await api(`${base}/bids/`);
    bid = bids[0] || null;
    renderCurrent();
  } catch (error) {
    $('#news').textContent = error.message;
  }
}

function answers() {
  const result = {};
  for (const el of form.querySelectorAll('[data-criterion]')) if (el.value.trim()) result[el.dataset.criterion] = el.value;
  return result;
}

const price = (text) => text.trim().replace(/\s/g, '').replace(',', '.');
const validPrice = (value) => /^\d+(\.\d{1,2})?$/.test(value) && Number(value) > 0;

// A multi-lot tender: one price per lot the supplier bids on (empty: left out).
function offers(errors) {
  const chosen = [];
  for (const el of form.querySelectorAll('[data-lot]')) {
    const amount = price(el.value);
    if (!amount) continue;
    if (!validPrice(amount)) {
      errors.lots = [{ detail: _('Enter each price as a positive number with at most 2 decimals.') }];
    } else {
      chosen.push({ lot: Number(el.dataset.lot), amount });
    }
  }
  if (!chosen.length && !errors.lots) errors.lots = [{ detail: _('Give a price for at least one lot.') }];
  return chosen;
}

function localProblems() {
  const errors = {};
  const byLot = form.querySelector('[data-lot]') !== null;
  const lots = byLot ? offers(errors) : null;
  const amount = byLot ? null : price(form.elements.amount.value);
  if (!byLot && !validPrice(amount)) {
    errors.amount = [{ detail: _('Enter the price as a positive number with at most 2 decimals.') }];
  }
  for (const file of form.elements.documents.files) {
    if (file.size > page.max_document_bytes) {
      errors.documents = [{ detail: f_(_('%(name)s is too large (at most %(size)s).'), { name: file.name, size: bytes(page.max_document_bytes) }) }];
    } else if (file.size === 0) {
      errors.documents = [{ detail: f_(_('%(name)s is empty.'), { name: file.name }) }];
    } else if (!(file.type in page.document_types)) {
      errors.documents = [{ detail: f_(_('%(name)s: this type of document is not accepted.'), { name: file.name }) }];
    }
  }
  return { errors, amount, lots };
}

async function submit(event) {
  event.preventDefault();
  if (inFlight || closed) return; // a double click sends one request
  const { errors, amount, lots } = localProblems();
  if (Object.keys(errors).length) { showErrors(form, { errors }); return; }
  showErrors(form, null);
  const data = new FormData();
  if (lots) data.append('lots', JSON.stringify(lots));
  else data.append('amount', amount);
  data.append('currency', tender.currency);
  data.append('answers', JSON.stringify(answers()));
  for (const file of form.elements.documents.files) data.append('documents', file, file.name);
  const replacing = bid && bid.status === 'submitted';
  inFlight = true;
  $('#submit').disabled = true;
  const progress = $('#progress');
  $('#progress-box').hidden = false;
  progress.value = 0;
  try {
    const { body: receipt } = await upload(replacing ? `${base}/bids/${bid.id}/` : `${base}/bids/`, data, {
      method: replacing ? 'PUT' : 'POST', idempotencyKey: key, onProgress: (p) => { progress.value = Math.round(p * 100); },
    });
    progress.value = 100;
    key = newKey(); // the next submission is a new intent
    fill($('#receipt-slot'), receiptView(receipt));
    $('#news').textContent = replacing ? _('Your bid was replaced. Here is your new receipt.') : _('Your bid was received. Here is your receipt.');
    await loadBid();
    $('#receipt').scrollIntoView();
  } catch (error) {
    // Nothing typed is cleared; a retry of the same content reuses the same key.
    if (error.code === 'deadline_passed' || error.code === 'not_accepting_bids') closeForm(error.message);
    showErrors(form, error.errors && Object.keys(error.errors).length ? error : { errors: {}, message: error.message });
  } finally {
    inFlight = false;
    if (!closed) $('#submit').disabled = false;
    $('#progress-box').hidden = true;
  }
}

if (form) {
  form.addEventListener('submit', submit);
  // New content is a new intent: a new key. The same content retried keeps it.
  form.addEventListener('input', () => { if (!inFlight) key = newKey(); });
  form.addEventListener('change', () => { if (!inFlight) key = newKey(); });
  $('#withdraw').addEventListener('click', async () => {
    if (!bid || !window.confirm(_('Withdraw your bid? You can submit a new one before the deadline.'))) return;
    try {
      bid = await api(`${base}/bids/${bid.id}/withdraw/`, { method: 'POST' });
      $('#news').textContent = _('Your bid was withdrawn.');
      renderCurrent();
    } catch (error) { $('#news').textContent = error.message; }
  });
  $('#confirm').addEventListener('click', async () => {
    try {
      const receipt = await api(`${base}/bids/${bid.id}/confirm/`, { method: 'POST' });
      fill($('#receipt-slot'), receiptView(receipt));
      $('#news').textContent = _('Your bid is confirmed.');
      await loadBid();
    } catch (error) { $('#news').textContent = error.message; }
  });
  loadBid();
  connect(`/ws/tenders/${tender.id}/`, {
    onMessage(event) {
      if (event.status && event.status !== status) {
        status = event.status;
        $('#status').className = `badge s-${status}`;
        $('#status').textContent = statusLabel(status);
      }
      if (event.submission_deadline) deadline = Date.parse(event.submission_deadline);
      if (event.type === 'tender_amended') { $('#news').textContent = _('The tender was amended.'); loadBid(); }
      if (event.type === 'receipt') loadBid();
      if (event.type === 'status_changed' && status !== 'active') {
        fill($('#news'), h('a', { href: `/tenders/${tender.id}/` }, _('See the opening record')));
      }
      tick();
    },
  });
}
setInterval(tick, 1000);
tick();
