// The e-mailed reset link (/password/reset/confirm/#uid=…&token=…): the uid
// and token ride in the fragment (never sent to a server); they are taken out
// of the address bar at once, then posted with the new password.
import './../common.js';
import { api, showErrors } from '../api.js';
import { $ } from '../dom.js';
import { _ } from '../i18n.js';

const link = new URLSearchParams(location.hash.slice(1));
const uid = link.get('uid');
const token = link.get('token');
if (location.hash) history.replaceState(null, '', location.pathname);

const form = $('#new-password');
if (!uid || !token) {
  form.hidden = true;
  $('#incomplete').hidden = false;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const password = form.elements.password.value;
  if (!password) { showErrors(form, { errors: { password: [{ detail: _('Enter a new password.') }] } }); return; }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api('/api/auth/password/reset/confirm/', { method: 'POST', body: { uid, token, password } });
    form.hidden = true;
    $('#done').hidden = false;
    $('#done').focus();
  } catch (error) {
    if (error.code === 'reset_link_invalid') {
      form.hidden = true;
      $('#invalid-text').textContent = error.message;
      $('#invalid').hidden = false;
    } else {
      showErrors(form, error.errors && Object.keys(error.errors).length ? error
        : { errors: { password: [{ detail: error.message }] }, message: error.message });
    }
  } finally {
    button.disabled = false;
  }
});
