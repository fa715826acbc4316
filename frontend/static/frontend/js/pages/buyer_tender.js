// The officer's tender (/buyer/tenders/new/, /buyer/tenders/{id}/): the draft
// editor (the server's rules checked here first where cheap, its field errors
// shown at their fields), publish after a confirmation; after publication
// amend (the page says first that the deadline may move and bids must be
// confirmed), documents with a progress bar, answers, committee, cancel.
import { page } from '../common.js';
import { api, newKey, showErrors, upload } from '../api.js';
import { connect } from '../live.js';
import { $, fill, h } from '../dom.js';
import { _, f_, statusLabel } from '../i18n.js';
import { bytes, countdown, readerZone, serverNow, timeEl, zonedTime, zoneLabel } from '../format.js';

let tender = page.tender;
const periods = page.platform;
const news = $('#news');

// <input type=datetime-local> holds local wall time; the API takes ISO 8601 with a zone.
const pad = (n) => String(n).padStart(2, '0');
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : '');
const problem = (errors, field, text) => { errors[field] = [{ detail: text }]; };
// A domain refusal names its field ({code, detail, field}): show it there too.
const atField = (error) => (Object.keys(error.errors || {}).length || !error.field ? error
  : Object.assign(error, { errors: { [error.field]: [{ detail: error.message }] } }));

// --- the draft editor ------------------------------------------------------
const editor = $('#editor');
if (editor) {
  const criteriaList = $('#criteria');
  const bestValue = $('#best-value');
  const method = editor.elements.award_method;

  function criterionRow(c = { name: '', weight: '' }) {
    const n = criteriaList.children.length + 1;
    const id = `crit-${Date.now()}-${n}`;
    const li = h('li', { class: 'criterion' },
      h('label', { for: `${id}-name` }, _('Criterion')), ' ',
      h('input', { id: `${id}-name`, class: 'c-name', maxlength: 200, value: c.name }), ' ',
      h('label', { for: `${id}-weight` }, _('Weight')), ' ',
      h('input', { id: `${id}-weight`, class: 'c-weight', type: 'number', min: 1, max: 100, value: c.weight }), ' ',
      h('button', { type: 'button', onclick: () => { li.remove(); total(); } }, _('Remove')));
    li.addEventListener('input', total);
    criteriaList.append(li);
  }
  const criteria = () => [...criteriaList.querySelectorAll('li')].map((li) => ({
    name: li.querySelector('.c-name').value.trim(), weight: Number(li.querySelector('.c-weight').value),
  }));
  function total() {
    const sum = Number(editor.elements.price_weight.value || 0) + criteria().reduce((a, c) => a + (c.weight || 0), 0);
    $('#weights-total').textContent = f_(_('Total: %(total)s of 100'), { total: sum });
    return sum;
  }
  editor.elements.price_weight.addEventListener('input', total);
  $('#add-criterion').addEventListener('click', () => criterionRow());
  const showMethod = () => { bestValue.hidden = method.value !== 'best_value'; total(); };
  method.addEventListener('change', showMethod);

  // The procurement method (GET /api/platform/'s list): only the fields it takes are shown.
  const procurement = () => page.methods.find((m) => m.name === editor.elements.method.value) || page.methods[0];
  function showProcurement() {
    const chosen = procurement();
    const takes = new Set(chosen.fields);
    for (const field of document.querySelectorAll('#direct-fields [data-takes]')) {
      field.hidden = !takes.has(field.dataset.takes)
        || (field.dataset.takes === 'failed' && editor.elements.ground.value !== 'failed_procurement');
    }
    $('#direct-fields').hidden = ![...takes].some((f) => f !== 'minimal_step');
    $('#minimal-step-field').hidden = !takes.has('minimal_step'); // the auction's lot step
    const onlyPrice = chosen.award_methods.length === 1;
    $('#award-method-field').hidden = onlyPrice;
    if (onlyPrice) method.value = chosen.award_methods[0];
    $('#e-estimated_amount-hint').textContent = chosen.limit
      ? f_(_('At most %(limit)s KZT for this method.'), { limit: Number(chosen.limit).toLocaleString(document.documentElement.lang) })
      : '';
    showMethod();
    explainPeriod();
  }
  for (const radio of editor.querySelectorAll('input[name="method"]')) radio.addEventListener('change', showProcurement);
  editor.elements.ground.addEventListener('change', showProcurement);

  // The minimum submission period (the chosen method's), explained before the server refuses it;
  // the deadlines are typed in the reader's zone, which is named.
  const hint = $('#e-submission_deadline-hint');
  function explainPeriod() {
    const period = procurement().min_period;
    const earliest = new Date(serverNow() + period * 1000).toISOString();
    hint.textContent = f_(_('Bids must be open for at least %(period)s after publication: published now, the deadline can be no earlier than %(earliest)s.'),
      { period: countdown(period * 1000), earliest: zonedTime(earliest, { legal: true }) })
      + ' ' + zoneNote();
  }
  explainPeriod();
  setInterval(explainPeriod, 30000);

  // The CPV picker: names in the page's language (Russian on a Kazakh page).
  const cpvName = $('#e-cpv-name');
  let matches = [];
  let cpvTimer = null;
  cpvName.addEventListener('input', () => {
    clearTimeout(cpvTimer);
    const text = cpvName.value.trim();
    const chosen = matches.find((m) => `${m.code} ${m.name}` === text);
    if (chosen) { editor.elements.cpv.value = chosen.code; return; }
    if (text.length < 2) return;
    cpvTimer = setTimeout(async () => {
      try {
        matches = await api('/api/cpv/?' + new URLSearchParams({ q: text, lang: document.documentElement.lang }));
        fill($('#e-cpv-options'), matches.map((m) => h('option', { value: `${m.code} ${m.name}` })));
      } catch (error) { news.textContent = error.message; }
    }, 200);
  });

  function load(t) {
    for (const field of ['title', 'description', 'cpv', 'estimated_amount', 'currency', 'language', 'min_bids', 'award_method']) {
      if (t && t[field] !== undefined && t[field] !== null) editor.elements[field].value = t[field];
    }
    if (t) {
      editor.elements.clarification_deadline.value = toLocalInput(t.clarification_deadline);
      editor.elements.submission_deadline.value = toLocalInput(t.submission_deadline);
      editor.elements.price_weight.value = t.award_method === 'best_value' ? t.price_weight : '';
      criteriaList.replaceChildren();
      for (const c of t.criteria || []) criterionRow(c);
    } else {
      editor.elements.language.value = document.documentElement.lang;
    }
    if (t) {
      editor.elements.method.value = t.method;
      editor.elements.supplier.value = t.supplier ? t.supplier.bin : '';
      editor.elements.ground.value = t.ground || '';
      editor.elements.justification.value = t.justification || '';
      editor.elements.minimal_step.value = t.lots && t.lots.length === 1 && t.lots[0].minimal_step ? t.lots[0].minimal_step : '';
      editor.elements.failed.value = t.failed ? t.failed.tender : '';
      editor.elements.failed_lot.value = t.failed && t.failed.lot ? t.failed.lot : '';
    }
    showProcurement();
  }
  load(tender);

  function collect() {
    const f = editor.elements;
    const data = {
      title: f.title.value.trim(), description: f.description.value, cpv: f.cpv.value.trim(),
      estimated_amount: f.estimated_amount.value.trim().replace(/\s/g, '').replace(',', '.'),
      currency: f.currency.value.trim().toUpperCase(), language: f.language.value,
      clarification_deadline: fromLocalInput(f.clarification_deadline.value),
      submission_deadline: fromLocalInput(f.submission_deadline.value),
      min_bids: Number(f.min_bids.value || 1), award_method: f.award_method.value,
    };
    // The method, and only the fields it takes (the server drops the others on a change of method).
    data.method = f.method.value;
    const takes = new Set(procurement().fields);
    if (takes.has('supplier')) data.supplier = f.supplier.value.trim() ? { bin: f.supplier.value.trim() } : null;
    if (takes.has('ground')) data.ground = f.ground.value;
    if (takes.has('justification')) data.justification = f.justification.value;
    if (takes.has('minimal_step')) data.minimal_step = f.minimal_step.value.trim().replace(/\s/g, '').replace(',', '.') || null;
    if (takes.has('failed')) {
      data.failed = f.ground.value === 'failed_procurement' && f.failed.value.trim()
        ? { tender: Number(f.failed.value), lot: f.failed_lot.value.trim() ? Number(f.failed_lot.value) : null } : null;
    }
    if (data.award_method === 'best_value') {
      data.price_weight = Number(f.price_weight.value || 0);
      data.criteria = criteria();
    } else {
      data.price_weight = 100;
      data.criteria = [];
    }
    return data;
  }

  function localProblems(d) {
    const errors = {};
    if (!d.title) problem(errors, 'title', _('Enter a title.'));
    if (d.supplier !== undefined && !(d.supplier && /^\d{12}$/.test(d.supplier.bin))) {
      problem(errors, 'supplier', _('A BIN is 12 digits.'));
    }
    if (!/^\d{8}-\d$/.test(d.cpv)) problem(errors, 'cpv', _('A CPV code looks like 45233140-2.'));
    if (!(Number(d.estimated_amount) > 0)) problem(errors, 'estimated_amount', _('Enter an amount above zero.'));
    if (!d.clarification_deadline) problem(errors, 'clarification_deadline', _('Choose a date and time.'));
    if (!d.submission_deadline) problem(errors, 'submission_deadline', _('Choose a date and time.'));
    else if (d.clarification_deadline && d.clarification_deadline >= d.submission_deadline) {
      problem(errors, 'clarification_deadline', _('The deadline for questions must be before the submission deadline.'));
    }
    if (d.award_method === 'best_value') {
      if (!d.criteria.length) problem(errors, 'criteria', _('A best-value tender needs at least one criterion.'));
      else if (d.criteria.some((c) => !c.name || !(c.weight >= 1))) problem(errors, 'criteria', _('Every criterion needs a name and a weight of at least 1.'));
      else if (total() !== 100) problem(errors, 'criteria', f_(_('The weights add up to %(total)s, not 100.'), { total: total() }));
    }
    return Object.keys(errors).length ? { errors, message: '' } : null;
  }

  async function save() {
    const data = collect();
    const local = localProblems(data);
    if (local) { showErrors(editor, local); return null; }
    const saved = tender
      ? await api(`/api/tenders/${tender.id}/`, { method: 'PATCH', body: data })
      : await api('/api/tenders/', { method: 'POST', body: data });
    showErrors(editor, null);
    return saved;
  }

  editor.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('#save');
    button.disabled = true;
    try {
      const saved = await save();
      if (!saved) return;
      if (!tender) { location.assign(`/buyer/tenders/${saved.id}/?saved=1`); return; }
      tender = saved;
      news.textContent = _('The draft is saved.');
    } catch (error) {
      showErrors(editor, atField(error));
    } finally { button.disabled = false; }
  });
  if (new URLSearchParams(location.search).get('saved')) news.textContent = _('The draft is saved.');

  const confirmBox = $('#publish-confirm');
  $('#publish').addEventListener('click', () => { confirmBox.hidden = false; $('#publish-yes').focus(); });
  $('#publish-no').addEventListener('click', () => { confirmBox.hidden = true; $('#publish').focus(); });
  $('#publish-yes').addEventListener('click', async () => {
    const button = $('#publish-yes');
    button.disabled = true;
    $('#publish-error').textContent = '';
    try {
      if (!(await save())) { confirmBox.hidden = true; return; }
      await api(`/api/tenders/${tender.id}/publish/`, { method: 'POST' });
      location.assign(`/buyer/tenders/${tender.id}/?published=1`);
    } catch (error) {
      confirmBox.hidden = true;
      showErrors(editor, atField(error));
    } finally { button.disabled = false; }
  });
}

// --- after publication -------------------------------------------------------
const published = $('#published-section');
if (published && tender && tender.status !== 'draft') {
  const base = `/api/tenders/${tender.id}`;
  if (new URLSearchParams(location.search).get('published')) news.textContent = _('The tender is published.');

  // amend: what will happen is said before sending
  const amend = $('#amend');
  $('#amend-warning').textContent = f_(_('Sending an amendment moves the submission deadline to at least %(period)s from now if it is sooner, and every bid already submitted will have to be confirmed by its supplier.'),
    { period: countdown(periods.min_amendment_period * 1000) });
  amend.elements.submission_deadline.value = toLocalInput(tender.submission_deadline);
  amend.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = amend.elements;
    const body = { rationale: f.rationale.value.trim() };
    if (!body.rationale) { showErrors(amend, { errors: { rationale: [{ detail: _('Say why the tender is amended.') }] }, message: '' }); return; }
    if (f.description.value !== tender.description) body.description = f.description.value;
    const deadline = fromLocalInput(f.submission_deadline.value);
    if (deadline && toLocalInput(deadline) !== toLocalInput(tender.submission_deadline)) body.submission_deadline = deadline;
    try {
      tender = await api(`${base}/amend/`, { method: 'POST', body });
      showErrors(amend, null);
      f.rationale.value = '';
      f.submission_deadline.value = toLocalInput(tender.submission_deadline);
      fill($('#deadline'), timeEl(tender.submission_deadline, false, true));
      news.textContent = _('The amendment is published; bidders are asked to confirm their bids.');
    } catch (error) { showErrors(amend, atField(error)); }
  });

  // documents, with a progress bar
  const documentForm = $('#document');
  documentForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = documentForm.elements.file.files[0];
    const errors = {};
    if (!file) problem(errors, 'file', _('Choose a file.'));
    else if (file.size > page.max_document_bytes) problem(errors, 'file', f_(_('The file is larger than %(size)s.'), { size: bytes(page.max_document_bytes) }));
    if (!documentForm.elements.rationale.value.trim()) problem(errors, 'rationale', _('Say why the document is added.'));
    if (Object.keys(errors).length) { showErrors(documentForm, { errors, message: '' }); return; }
    const progress = $('#d-progress');
    progress.hidden = false;
    const data = new FormData(documentForm);
    try {
      await upload(`${base}/documents/`, data, { idempotencyKey: newKey(), onProgress: (v) => { progress.value = v; } });
      showErrors(documentForm, null);
      documentForm.reset();
      news.textContent = _('The document is added.');
    } catch (error) { showErrors(documentForm, atField(error)); } finally { progress.hidden = true; }
  });

  // questions and answers
  async function loadQuestions() {
    const questions = await api(`${base}/questions/`);
    $('#no-questions').hidden = questions.length > 0;
    fill($('#questions'), questions.map((q) => {
      if (q.answer !== null) return h('li', {}, h('p', {}, q.text), h('p', { class: 'answer' }, q.answer));
      const id = `answer-${q.id}`;
      const form = h('form', { class: 'form', novalidate: true },
        h('div', { class: 'error-summary', tabindex: '-1', role: 'alert', hidden: true }),
        h('div', { class: 'field' }, h('label', { for: id }, _('Answer (public)')),
          h('textarea', { id, name: 'answer', rows: 3, 'aria-describedby': `${id}-error` }),
          h('p', { class: 'field-error', id: `${id}-error` })),
        h('p', {}, h('button', { type: 'submit' }, _('Publish the answer'))));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const answer = form.elements.answer.value.trim();
        if (!answer) { showErrors(form, { errors: { answer: [{ detail: _('Write the answer.') }] }, message: '' }); return; }
        try { await api(`${base}/questions/${q.id}/answer/`, { method: 'POST', body: { answer } }); loadQuestions(); } catch (error) { showErrors(form, atField(error)); }
      });
      return h('li', { id: `question-${q.id}` }, h('p', {}, q.text), form);
    }));
  }

  // the committee: name officers of the same buyer, see who has declared
  async function loadCommittee() {
    const [members, colleagues] = await Promise.all([api(`${base}/committee/`), api('/api/auth/officers/')]);
    fill($('#committee'), members.length ? members.map((m) => h('tr', { id: `evaluator-${m.id}` }, h('td', {}, m.name),
      h('td', {}, m.declared_at ? timeEl(m.declared_at) : _('not yet'))))
      : h('tr', {}, h('td', { colspan: 2 }, _('No evaluators named yet.'))));
    const named = new Set(members.map((m) => m.id));
    fill($('#colleagues'), colleagues.filter((c) => !named.has(c.id)).map((c) => h('div', {},
      h('label', {}, h('input', { type: 'checkbox', value: c.id, class: 'colleague' }), ' ', c.name))));
  }
  $('#committee-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const ids = [...form.querySelectorAll('.colleague:checked')].map((el) => Number(el.value));
    if (!ids.length) { showErrors(form, { errors: { evaluators: [{ detail: _('Choose at least one officer.') }] }, message: '' }); return; }
    try { await api(`${base}/committee/`, { method: 'POST', body: { evaluators: ids } }); showErrors(form, null); loadCommittee(); } catch (error) { showErrors(form, atField(error)); }
  });

  // cancel, with a public reason
  $('#cancel').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const reason = form.elements.reason.value.trim();
    if (!reason) { showErrors(form, { errors: { reason: [{ detail: _('Give the public reason.') }] }, message: '' }); return; }
    if (!$('#x-sure').checked) { showErrors(form, { errors: {}, message: _('Tick the box to confirm.') }); return; }
    try {
      tender = await api(`${base}/cancel/`, { method: 'POST', body: { reason } });
      location.reload();
    } catch (error) { showErrors(form, atField(error)); }
  });

  loadQuestions().catch((error) => { news.textContent = error.message; });
  loadCommittee().catch((error) => { news.textContent = error.message; });

  // live: status, bid count, new questions
  connect(`/ws/tenders/${tender.id}/`, {
    onMessage(event) {
      if (event.bid_count !== undefined) $('#bid-count').textContent = String(event.bid_count);
      if (event.status && event.status !== tender.status) {
        const badge = $('#status');
        badge.className = `badge s-${event.status}`;
        badge.textContent = statusLabel(event.status);
        tender.status = event.status;
        $('#amend-section').hidden = event.status !== 'active';
        $('#evaluation-link').hidden = event.status === 'active';
        $('#cancel-section').hidden = !['active', 'evaluation'].includes(event.status);
      }
      if (event.type === 'lot_status_changed') {
        const badge = document.getElementById(`lot-status-${event.lot}`);
        if (badge) { badge.className = `badge s-${event.lot_status}`; badge.textContent = statusLabel(event.lot_status); }
      }
      if (event.type === 'question_asked' || event.type === 'question_answered') loadQuestions().catch(() => {});
    },
  });
}

// The zone the date-and-time inputs are read in (the browser's), named.
function zoneNote() {
  return f_(_('Times are entered in your time zone: %(zone)s.'), { zone: zoneLabel(new Date(serverNow()), readerZone()) });
}
const amendHint = document.getElementById('a-submission_deadline-hint');
if (amendHint) amendHint.textContent = zoneNote();
