// Log in (/login/): a session login (CSRF header from the cookie); the
// lockout's 429 says how long to wait.
import { page } from '../common.js';
import { api, showErrors } from '../api.js';
import { $ } from '../dom.js';
import { _ } from '../i18n.js';

const form = $('#login');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const errors = {};
  if (!data.username.trim()) errors.username = [{ detail: _('Enter your username.') }];
  if (!data.password) errors.password = [{ detail: _('Enter your password.') }];
  if (Object.keys(errors).length) { showErrors(form, { errors }); return; }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api('/api/auth/login/', { method: 'POST', body: data });
    location.assign(page.next || '/account/');
  } catch (error) {
    showErrors(form, error.errors && Object.keys(error.errors).length ? error
      : { errors: { password: [{ detail: error.message }] }, message: error.message });
  } finally {
    button.disabled = false;
  }
});
