// Amounts, dates and countdowns in the page's language (Intl), and the
// server's clock: the page carries the server time it was rendered at, so
// countdowns follow the server, not a wrong browser clock.
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
function kkDateTime(date, seconds) {
  const time = `${two(date.getHours())}:${two(date.getMinutes())}` + (seconds ? `:${two(date.getSeconds())}` : '');
  return `${date.getFullYear()} ж. ${date.getDate()} ${KK_MONTHS[date.getMonth()]}, ${time}`;
}
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

const dateTimeFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
const dateTimeSecFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' });
export function dateTime(iso, seconds = false) {
  if (!iso) return '';
  if (lang === 'kk') return kkDateTime(new Date(iso), seconds);
  return (seconds ? dateTimeSecFormat : dateTimeFormat).format(new Date(iso));
}

export function timeEl(iso, seconds = false) {
  const el = document.createElement('time');
  el.dateTime = iso || '';
  el.textContent = dateTime(iso, seconds);
  return el;
}

// Every <time datetime> the server rendered (in UTC), in the reader's zone.
export function localiseTimes(root = document) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    if (el.dateTime) el.textContent = dateTime(el.dateTime);
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
