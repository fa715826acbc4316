// Amounts, dates and countdowns in the page's language (Intl), and the
// server's clock: the page carries the server time it was rendered at, so
// countdowns follow the server, not a wrong browser clock.
import { _, f_ } from './i18n.js';

const lang = document.documentElement.lang || 'en';
// Chromium ships ICU without Kazakh data (a 'kk' Intl format falls back to
// the root locale: "2026 M12 27", "₸ 2,400,000,000"). Kazakh writes numbers
// as Russian does (2 400 000 000,50 ₸), so numbers use 'ru' rules, and dates
// and durations are spelled here with the Kazakh month and unit names.
const numLang = lang === 'kk' ? 'ru' : lang;
const KK_MONTHS = ['қаңтар', 'ақпан', 'наурыз', 'сәуір', 'мамыр', 'маусым', 'шілде', 'тамыз', 'қыркүйек',
  'қазан', 'қараша', 'желтоқсан'];
const KK_UNITS = { day: 'күн', hour: 'сағ.', minute: 'мин.', second: 'сек.' };
const two = (n) => String(n).padStart(2, '0');
let offset = 0; // server time - browser time, ms

export function syncClock(serverIso, sentAt = performance.timeOrigin) {
  const server = Date.parse(serverIso);
  if (!Number.isNaN(server)) offset = server - sentAt;
}
export const serverNow = () => Date.now() + offset;
export function clockFromResponse(response) {
  const date = response.headers.get('Date');
  if (date) {
    const server = Date.parse(date) + 500; // the header has whole seconds
    if (Math.abs(server - (Date.now() + offset)) > 1500) offset = server - Date.now();
  }
}

const moneyCache = new Map();
export function money(amount, currency = 'KZT') {
  if (amount === null || amount === undefined || amount === '') return '';
  const whole = /^-?\d+(\.0+)?$/.test(String(amount));
  const key = currency + whole;
  if (!moneyCache.has(key)) {
    moneyCache.set(key, new Intl.NumberFormat(numLang, {
      style: 'currency', currency, currencyDisplay: 'narrowSymbol',
      minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2,
    }));
  }
  return moneyCache.get(key).format(String(amount));
}

export const number = (value, digits = 0) =>
  new Intl.NumberFormat(numLang, { maximumFractionDigits: digits }).format(value);
// A published figure with all its places (a score rounded to 4 places shows 4).
export const decimal = (text, places) => (text === null || text === undefined ? '—'
  : new Intl.NumberFormat(numLang, { minimumFractionDigits: places, maximumFractionDigits: places }).format(Number(text)));

// Time zones. Every time is shown in the reader's zone, named ("UTC+1,
// Berlin"); a deadline (a legal moment) also in the buyer's legal time (the
// setting PROCUREMENT_LEGAL_TIME_ZONE, Asia/Almaty by default: page data)
// when the two differ at that moment. Offsets come from the browser's own
// time zone data (Chromium's ICU), never from a fixed table.
let legalZone = 'Asia/Almaty';
export function setLegalZone(zone) { if (zone) legalZone = zone; }
export const readerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const cached = new Map();
function formatter(key, make) {
  if (!cached.has(key)) cached.set(key, make());
  return cached.get(key);
}

export function offsetMinutes(date, zone) {
  const f = formatter(`offset:${zone}`, () => new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' }));
  const name = f.formatToParts(date).find((p) => p.type === 'timeZoneName').value; // "GMT+05:00", or "GMT"
  const m = name.match(/([+-])(\d{2}):(\d{2})/);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

function utcLabel(minutes) {
  if (!minutes) return 'UTC';
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? '−' : '+'}${Math.floor(abs / 60)}${abs % 60 ? ':' + two(abs % 60) : ''}`;
}

// "UTC+5, Almaty": the offset at that moment and the zone's city.
export function zoneLabel(date, zone) {
  const offset = utcLabel(offsetMinutes(date, zone));
  if (zone === 'UTC' || zone.startsWith('Etc/')) return offset;
  return `${offset}, ${zone.split('/').pop().replace(/_/g, ' ')}`;
}

function kkDateTime(date, seconds, zone) {
  const f = formatter(`kk:${zone}`, () => new Intl.DateTimeFormat('en-US', {
    timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    second: 'numeric', hourCycle: 'h23' }));
  const p = Object.fromEntries(f.formatToParts(date).map((x) => [x.type, x.value]));
  const time = `${two(p.hour)}:${two(p.minute)}` + (seconds ? `:${two(p.second)}` : '');
  return `${p.year} ж. ${Number(p.day)} ${KK_MONTHS[Number(p.month) - 1]}, ${time}`;
}

// The date and time in ``zone`` (the reader's by default), without the zone's name.
export function dateTime(iso, seconds = false, zone = readerZone()) {
  if (!iso) return '';
  const date = new Date(iso);
  if (lang === 'kk') return kkDateTime(date, seconds, zone);
  return formatter(`${lang}:${zone}:${seconds}`, () => new Intl.DateTimeFormat(lang, {
    dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short', timeZone: zone })).format(date);
}

// The time in the reader's zone, named; with ``legal``, the buyer's legal
// time beside it when the reader's zone differs from it at that moment.
export function zonedTime(iso, { seconds = false, legal = false } = {}) {
  if (!iso) return '';
  const date = new Date(iso);
  const mine = readerZone();
  const text = `${dateTime(iso, seconds, mine)} (${zoneLabel(date, mine)})`;
  if (!legal || offsetMinutes(date, mine) === offsetMinutes(date, legalZone)) return text;
  return f_(_("%(time)s; the buyer's legal time: %(legal)s"), {
    time: text, legal: `${dateTime(iso, seconds, legalZone)} (${zoneLabel(date, legalZone)})` });
}

// A calendar day (YYYY-MM-DD) of the legal time zone as its first (or last)
// second, ISO 8601 with the zone's offset that day (the register's deadline
// range: the same days as the server's first paint, frontend/params.py).
export function legalDayBound(day, end) {
  const clockTime = end ? 'T23:59:59' : 'T00:00:00';
  const asUtc = new Date(`${day}${clockTime}Z`);
  if (Number.isNaN(asUtc.getTime())) return day;
  const minutes = offsetMinutes(new Date(asUtc.getTime() - offsetMinutes(asUtc, legalZone) * 60000), legalZone);
  const abs = Math.abs(minutes);
  return `${day}${clockTime}${minutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

export function timeEl(iso, seconds = false, legal = false) {
  const el = document.createElement('time');
  el.dateTime = iso || '';
  if (legal) el.dataset.legal = '';
  el.textContent = zonedTime(iso, { seconds, legal });
  return el;
}

// Every <time datetime> the server rendered (in the legal zone), in the
// reader's zone; those marked data-legal (deadlines) with the legal time too.
export function localiseTimes(root = document) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    if (el.dateTime) el.textContent = zonedTime(el.dateTime, { legal: el.hasAttribute('data-legal') });
  }
}

const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
export function countdown(ms) {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  const parts = [];
  for (const [unit, size] of units) {
    const value = Math.floor(seconds / size);
    seconds -= value * size;
    if (value || parts.length || unit === 'second') {
      parts.push(lang === 'kk' ? `${value} ${KK_UNITS[unit]}`
        : new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'short' }).format(value));
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

export const bytes = (n) => new Intl.NumberFormat(numLang, {
  style: 'unit', unit: n >= 1048576 ? 'megabyte' : 'kilobyte', maximumFractionDigits: 1,
}).format(n >= 1048576 ? n / 1048576 : n / 1024);
