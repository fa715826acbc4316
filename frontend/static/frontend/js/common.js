// What every page does: the language switch submits itself, the log-out
// button posts to the API, times are shown in the reader's zone, and the
// server's clock is taken from the page.
import { api } from './api.js';
import { localiseTimes, setLegalZone, syncClock } from './format.js';
import { pageData } from './dom.js';

export const page = pageData();
syncClock(page.now);
setLegalZone(page.legal_time_zone);
localiseTimes();

const logout = document.getElementById('logout');
if (logout) {
  logout.addEventListener('click', async () => {
    try { await api('/api/auth/logout/', { method: 'POST' }); } finally { location.assign('/'); }
  });
}
