// Receipt check (/receipts/verify/): the Ed25519 signature is verified in
// the browser (WebCrypto) against GET /api/receipts/public-key/, with the
// API's verify endpoint as the fallback; after the opening the receipt's
// hash is looked up in the opening record.
import '../common.js';
import { api } from '../api.js';
import { $, fill, h } from '../dom.js';
import { _, f_ } from '../i18n.js';
import { timeEl } from '../format.js';
import { canonical, hexBytes } from '../canonical.js';

const form = $('#verify-form');
const text = $('#receipt-text');
const result = $('#result');
const drop = $('#drop');

async function readFile(file) {
  if (file.size > 100000) throw new Error(_('This file is too large to be a receipt.'));
  text.value = await file.text();
  form.requestSubmit();
}

$('#receipt-file').addEventListener('change', (e) => e.target.files[0] && readFile(e.target.files[0]).catch(showProblem));
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) readFile(e.dataTransfer.files[0]).catch(showProblem);
});

function showProblem(error) {
  $('#receipt-text-error').textContent = error.message;
  text.setAttribute('aria-invalid', 'true');
}

function parse() {
  let receipt;
  try { receipt = JSON.parse(text.value); } catch { throw new Error(_('This is not a receipt file (not JSON).')); }
  const ok = receipt && Number.isInteger(receipt.tender) && Number.isInteger(receipt.bid)
    && /^[0-9a-f]{64}$/.test(receipt.sha256) && typeof receipt.received_at === 'string' && /^[0-9a-f]{128}$/i.test(receipt.signature);
  if (!ok) throw new Error(_('This receipt lacks a field: tender, bid, sha256, received_at or signature.'));
  return receipt;
}

async function signatureValid(receipt) {
  const { public_key: publicKey } = await api('/api/receipts/public-key/');
  const message = canonical({ bid: receipt.bid, received_at: receipt.received_at, sha256: receipt.sha256, tender: receipt.tender });
  try {
    const key = await crypto.subtle.importKey('raw', hexBytes(publicKey), { name: 'Ed25519' }, false, ['verify']);
    const valid = await crypto.subtle.verify({ name: 'Ed25519' }, key, hexBytes(receipt.signature.toLowerCase()), new TextEncoder().encode(message));
    return { valid, where: _('checked in this browser (WebCrypto Ed25519)') };
  } catch {
    // This browser has no Ed25519 in WebCrypto: ask the platform.
    const answer = await api('/api/receipts/verify/?' + new URLSearchParams({
      tender: receipt.tender, bid: receipt.bid, sha256: receipt.sha256, received_at: receipt.received_at, signature: receipt.signature,
    }));
    return { valid: answer.valid, where: _('checked by the platform (this browser has no Ed25519)') };
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  $('#receipt-text-error').textContent = '';
  text.removeAttribute('aria-invalid');
  fill(result);
  let receipt;
  try { receipt = parse(); } catch (error) { showProblem(error); return; }
  try {
    const signature = await signatureValid(receipt);
    const lines = [h('p', { class: signature.valid ? 'ok' : 'error', id: 'signature-result' },
      signature.valid ? _('The signature is valid: the platform issued this receipt.') : _('The signature is NOT valid: this receipt was not issued by the platform, or it was changed.'),
      ' (', signature.where, ')')];
    if (signature.valid) {
      try {
        const opening = await api(`/api/tenders/${receipt.tender}/opening/`);
        const row = opening.bids.find((b) => b.sha256 === receipt.sha256);
        lines.push(h('p', { class: row ? 'ok' : 'error', id: 'opening-result' }, row
          ? f_(_('Found in the opening record: the bid opened for %(supplier)s is exactly the one this receipt was issued for.'), { supplier: row.supplier.name })
          : _('This hash is not in the opening record: the bid was replaced by a later version, withdrawn, or not confirmed.')));
      } catch (error) {
        if (error.code === 'not_opened') {
          lines.push(h('p', { id: 'opening-result' }, _('The bids are not opened yet; come back after the deadline to find this hash in the opening record.')));
        } else lines.push(h('p', { class: 'error' }, error.message));
      }
    }
    fill(result, h('div', { class: 'panel' }, h('p', {}, f_(_('Tender %(tender)s, bid %(bid)s, received'), { tender: receipt.tender, bid: receipt.bid }), ' ', timeEl(receipt.received_at, true, true)), lines));
  } catch (error) {
    fill(result, h('p', { class: 'error' }, error.message));
  }
});
