// The account (/account/): the organisation's bids and receipts, the
// notifications (new ones arrive live on the feed socket) and subscriptions.
import { page } from '../common.js';
import { api, showErrors } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h, scrollRegion } from '../dom.js';
import { _, f_, statusLabel } from '../i18n.js';
import { timeEl } from '../format.js';
import { receiptFile } from '../receipt.js';

if (page.me.authenticated) wireAccount();

// The e-mail confirmation link sent again, and the password change (the
// other sessions are signed out by the server; this one stays signed in).
function wireAccount() {
  const resend = document.getElementById('resend');
  if (resend) {
    resend.addEventListener('click', async () => {
      resend.disabled = true;
      try {
        await api('/api/auth/email/confirm/resend/', { method: 'POST' });
        $('#resend-result').textContent = _('The link is on its way: check your mail.');
      } catch (error) {
        $('#resend-result').textContent = error.message;
        resend.disabled = false;
      }
    });
  }
  const form = $('#change-password');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    $('#password-changed').textContent = '';
    const body = { old_password: form.elements.old_password.value, password: form.elements.password.value };
    const errors = {};
    if (!body.old_password) errors.old_password = [{ detail: _('Enter your current password.') }];
    if (!body.password) errors.password = [{ detail: _('Enter a new password.') }];
    if (Object.keys(errors).length) { showErrors(form, { errors }); return; }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await api('/api/auth/password/change/', { method: 'POST', body });
      form.reset();
      showErrors(form, null);
      $('#password-changed').textContent = _('Your password is changed.');
    } catch (error) {
      showErrors(form, error.errors && Object.keys(error.errors).length ? error
        : { errors: { password: [{ detail: error.message }] }, message: error.message });
    } finally {
      button.disabled = false;
    }
  });
}

if (page.me.role === 'supplier') {
  loadBids();
  loadNotifications();
  loadSubscriptions();
  connect('/ws/tenders/', {
    onOpen: loadNotifications,
    onMessage(event) { if (event.type === 'notification') loadNotifications(); },
  });
  $('#read-all').addEventListener('click', async () => {
    try { await api('/api/notifications/read-all/', { method: 'POST' }); } catch (e) { $('#net').textContent = e.message; }
    loadNotifications();
  });
  const form = $('#subscribe');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const cpv = form.elements.cpv_prefix.value.trim();
    if (!cpv) { showErrors(form, { errors: { cpv_prefix: [{ detail: _('Give 2 to 8 digits of a CPV code.') }] } }); return; }
    try {
      await api('/api/subscriptions/', { method: 'POST', body: { cpv_prefix: cpv } });
      form.reset();
      showErrors(form, null);
      loadSubscriptions();
    } catch (error) {
      showErrors(form, error.errors && Object.keys(error.errors).length ? error
        : { errors: { cpv_prefix: [{ detail: error.message }] } });
    }
  });
}

async function loadBids() {
  const slot = $('#bids');
  try {
    const bids = await api('/api/bids/mine/');
    if (!bids.length) { fill(slot, h('p', { class: 'muted' }, _('You have not bid yet.'))); return; }
    fill(slot, scrollRegion('h-bids', h('table', { class: 'plain' },
      h('thead', {}, h('tr', {}, [_('Tender'), _('Status'), _('Bid'), _('Received'), _('Receipt')].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, bids.map((b) => {
        const last = b.versions[b.versions.length - 1];
        const receipt = last && { tender: b.tender.id, bid: b.id, version: last.number, sha256: last.sha256,
          received_at: last.received_at, signature: last.signature };
        return h('tr', {},
          h('td', {}, h('a', { href: `/tenders/${b.tender.id}/bid/` }, b.tender.title)),
          h('td', {}, statusLabel(b.tender.status)),
          h('td', {}, b.status === 'withdrawn' ? _('withdrawn') : (b.needs_confirmation ? _('needs confirmation') : _('submitted'))),
          h('td', {}, timeEl(b.received_at, true)),
          h('td', {}, receipt ? h('a', { href: receiptFile(receipt), download: `receipt-tender-${b.tender.id}-bid-${b.id}-v${last.number}.json` },
            f_(_('Download (version %(n)s)'), { n: last.number })) : '—'));
      })))));
  } catch (error) {
    fill(slot, h('p', { class: 'error' }, error.message));
  }
}

async function loadNotifications() {
  const list = $('#notifications');
  try {
    const data = await api('/api/notifications/?page_size=20');
    fill(list, data.results.length ? data.results.map((n) => h('li', { class: n.read ? '' : 'unread' },
      timeEl(n.created_at), ' ', h('strong', {}, n.read ? '' : _('New') + ': '),
      h('a', { href: `/tenders/${n.tender}/` }, n.subject), h('br'), n.body))
      : h('li', { class: 'muted' }, _('No notifications.')));
  } catch (error) {
    fill(list, h('li', { class: 'error' }, error.message));
  }
}

async function loadSubscriptions() {
  const list = $('#subscriptions');
  try {
    const subs = await api('/api/subscriptions/');
    fill(list, subs.length ? subs.map((s) => h('li', {}, h('code', {}, s.cpv_prefix), s.buyer ? ` — ${s.buyer.name}` : '', ' ',
      h('button', { type: 'button', class: 'link', onclick: async () => {
        try { await api(`/api/subscriptions/${s.id}/`, { method: 'DELETE' }); } catch (e) { $('#net').textContent = e.message; }
        loadSubscriptions();
      } }, f_(_('Unsubscribe from %(cpv)s'), { cpv: s.cpv_prefix }))))
      : h('li', { class: 'muted' }, _('No subscriptions.')));
  } catch (error) {
    fill(list, h('li', { class: 'error' }, error.message));
  }
}
