// Forgot password (/password/reset/): ask for a link by e-mail. The answer is
// the same whether or not an account has the address, and so is the page.
import './../common.js';
import { api, showErrors } from '../api.js';
import { $ } from '../dom.js';
import { _ } from '../i18n.js';

const form = $('#reset');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = form.elements.email.value.trim();
  if (!email || !form.elements.email.checkValidity()) {
    showErrors(form, { errors: { email: [{ detail: _('Enter the e-mail address of your account.') }] } });
    return;
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api('/api/auth/password/reset/', { method: 'POST', body: { email } });
    showErrors(form, null);
    form.hidden = true;
    $('#sent').hidden = false;
    $('#sent').focus();
  } catch (error) {
    showErrors(form, error.errors && Object.keys(error.errors).length ? error
      : { errors: { email: [{ detail: error.message }] }, message: error.message });
  } finally {
    button.disabled = false;
  }
});
