// The one API client: the session cookie, the CSRF header on every write,
// an Idempotency-Key where asked, and every failure as an ApiError carrying
// the API's {code, detail, errors} (a lost network and a 5xx included).
import { _, f_ } from './i18n.js';
import { clockFromResponse } from './format.js';

export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = null) {
    super(body.detail || String(status));
    this.status = status;
    this.code = body.code || 'error';
    this.detail = body.detail || '';
    this.errors = body.errors || {};
    this.field = body.field || null; // a domain rule's field (e.g. submission_deadline)
    this.retryAfter = retryAfter;
    this.message = this.describe(); // (Error's constructor set an own "message": replace it)
  }
  // A sentence for the reader.
  describe() {
    if (this.code === 'network') return _('The network is unreachable. Nothing you typed is lost: try again.');
    if (this.status >= 500) return _('The server failed. Nothing you typed is lost: try again in a moment.');
    if (this.code === 'throttled' && this.retryAfter) {
      const minutes = Math.max(1, Math.ceil(this.retryAfter / 60));
      return f_(_('Too many failed attempts. Try again in %(minutes)s min.'), { minutes });
    }
    return this.detail || _('Something went wrong.');
  }
}

function cookie(name) {
  const match = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
  return match ? decodeURIComponent(match[1]) : '';
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function headersFor(method, idempotencyKey, json) {
  const headers = { Accept: 'application/json' };
  if (json) headers['Content-Type'] = 'application/json';
  if (WRITE.has(method)) headers['X-CSRFToken'] = cookie('csrftoken');
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  return headers;
}

async function parse(response) {
  clockFromResponse(response);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json().catch(() => ({})) : {};
  if (!response.ok) {
    const retry = Number(response.headers.get('Retry-After')) || null;
    throw new ApiError(response.status, body, retry);
  }
  return body;
}

export async function api(path, { method = 'GET', body, idempotencyKey, signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method, signal, credentials: 'same-origin',
      headers: headersFor(method, idempotencyKey, body !== undefined),
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { code: 'network' });
  }
  return parse(response);
}

// A multipart upload with progress (fetch cannot report upload progress).
export function upload(path, formData, { method = 'POST', idempotencyKey, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [k, v] of Object.entries(headersFor(method, idempotencyKey, false))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, { code: 'network' }));
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText || '{}'); } catch { body = {}; }
      if (xhr.status >= 200 && xhr.status < 300) resolve({ body, replayed: xhr.getResponseHeader('Idempotent-Replayed') === 'true' });
      else reject(new ApiError(xhr.status, body, Number(xhr.getResponseHeader('Retry-After')) || null));
    };
    xhr.send(formData);
  });
}

export const newKey = () => crypto.randomUUID();

// Put an ApiError's field messages next to their fields (inputs named after
// the API's fields, each with a <p class="field-error" id="<id>-error">), and
// the whole list in the form's error summary, each linking to its field.
export function showErrors(form, error) {
  const summary = form.querySelector('.error-summary');
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!summary) return;
  summary.replaceChildren();
  if (!error) { summary.hidden = true; return; }
  const heading = document.createElement('h2');
  heading.textContent = _('There is a problem');
  const list = document.createElement('ul');
  let listed = 0;
  for (const [field, problems] of Object.entries(error.errors || {})) {
    const input = form.elements.namedItem(field);
    const first = Array.isArray(problems) ? problems[0] : problems;
    const text = (first && first.detail) || String(first);
    if (input && input.id) {
      input.setAttribute('aria-invalid', 'true');
      const slot = form.querySelector('#' + input.id + '-error');
      if (slot) slot.textContent = text;
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = '#' + input.id;
      a.textContent = text;
      li.append(a);
      list.append(li);
      listed += 1;
    }
  }
  if (!listed) {
    const li = document.createElement('li');
    li.textContent = error.message;
    list.append(li);
  }
  summary.append(heading, list);
  summary.hidden = false;
  summary.focus();
}
