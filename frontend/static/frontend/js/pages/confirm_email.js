// The e-mailed confirmation link (/account/confirm-email/#uid=…&token=…):
// posted as soon as the page opens (a link scanner that only fetches the page
// confirms nothing); the uid and token leave the address bar at once.
import './../common.js';
import { api } from '../api.js';
import { $ } from '../dom.js';
import { _ } from '../i18n.js';

const link = new URLSearchParams(location.hash.slice(1));
const uid = link.get('uid');
const token = link.get('token');
if (location.hash) history.replaceState(null, '', location.pathname);

function failed(text) {
  $('#working').hidden = true;
  $('#failed-text').textContent = text;
  $('#failed').hidden = false;
  $('#failed').focus();
}

if (!uid || !token) {
  failed(_('This link is incomplete: open the whole link from the e-mail.'));
} else {
  api('/api/auth/email/confirm/', { method: 'POST', body: { uid, token } }).then(() => {
    $('#working').hidden = true;
    $('#done').hidden = false;
    $('#done').focus();
  }, (error) => failed(error.message));
}
