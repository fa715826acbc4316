// Sign-up (/register/): a business registers, then logs in with a session.
import '../common.js';
import { api, showErrors } from '../api.js';
import { $ } from '../dom.js';
import { _ } from '../i18n.js';
import { isValid, isWellFormed } from '../bin.js';

const form = $('#signup');
const fieldError = (field, text) => ({ errors: { [field]: [{ code: 'invalid', detail: text }] }, message: text });

function localProblems(data) {
  const errors = {};
  const need = (field, text) => { if (!String(data[field] || '').trim()) errors[field] = [{ detail: text }]; };
  need('organisation_name', _('Enter the organisation name.'));
  need('username', _('Choose a username.'));
  need('password', _('Choose a password.'));
  if (!isWellFormed(data.tax_id)) errors.tax_id = [{ detail: _('A BIN is exactly 12 digits.') }];
  else if (!isValid(data.tax_id)) errors.tax_id = [{ detail: _("This BIN's check digit is wrong: please check the number.") }];
  return Object.keys(errors).length ? { errors, message: '' } : null;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  data.tax_id = data.tax_id.trim();
  if (!data.email.trim()) delete data.email;
  const problems = localProblems(data);
  if (problems) { showErrors(form, problems); return; }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api('/api/auth/register/', { method: 'POST', body: data });
    await api('/api/auth/login/', { method: 'POST', body: { username: data.username, password: data.password } });
    location.assign('/account/');
  } catch (error) {
    showErrors(form, error.errors && Object.keys(error.errors).length ? error
      : (error.code === 'tax_id_taken' ? fieldError('tax_id', error.message)
        : error.code === 'username_taken' ? fieldError('username', error.message) : error));
  } finally {
    button.disabled = false;
  }
});
