// A bid's signed receipt: shown, downloadable as a JSON file, printable.
import { h } from './dom.js';
import { _ } from './i18n.js';
import { timeEl } from './format.js';

export function receiptFile(receipt) {
  const blob = new Blob([JSON.stringify(receipt, null, 2) + '\n'], { type: 'application/json' });
  return URL.createObjectURL(blob);
}

export function receiptView(receipt, { title = _('Your signed receipt') } = {}) {
  const download = h('a', { class: 'button', href: receiptFile(receipt),
    download: `receipt-tender-${receipt.tender}-bid-${receipt.bid}-v${receipt.version || 1}.json` }, _('Download the receipt'));
  const print = h('button', { type: 'button', onclick: () => print_() }, _('Print'));
  return h('section', { class: 'receipt', id: 'receipt', 'aria-labelledby': 'receipt-h' },
    h('h2', { id: 'receipt-h' }, title),
    h('dl', { class: 'facts' },
      h('dt', {}, _('Tender')), h('dd', {}, String(receipt.tender)),
      h('dt', {}, _('Bid')), h('dd', {}, `${receipt.bid}` + (receipt.version ? ` (${_('version')} ${receipt.version})` : '')),
      h('dt', {}, _('Received (server time)')), h('dd', {}, timeEl(receipt.received_at, true, true)),
      h('dt', {}, _('SHA-256 of your bid')), h('dd', {}, h('code', { class: 'hash', id: 'receipt-sha' }, receipt.sha256)),
      h('dt', {}, _('Platform signature (Ed25519)')), h('dd', {}, h('code', { class: 'hash' }, receipt.signature))),
    h('p', { class: 'muted' }, _('Keep this file: after the opening you can check that the opened bid is exactly the one you sent.')),
    h('p', { class: 'actions' }, download, print, h('a', { href: '/receipts/verify/' }, _('Check a receipt'))));
}

function print_() { window.print(); }
