// The public register page: the first page of GET /api/tenders/, searchable, reloaded on
// every event of the live feed (ws/tenders/).
const rows = document.getElementById('rows');
function cell(text){const td=document.createElement('td');td.textContent=text;return td;}
async function load(params){
  const r = await fetch('/api/tenders/?' + new URLSearchParams(params));
  const page = await r.json();
  rows.replaceChildren(...page.results.map(t => {
    const tr = document.createElement('tr');
    [t.id, t.title, t.buyer.name, t.cpv + ' ' + t.cpv_name, t.estimated_amount + ' ' + t.currency,
     new Date(t.submission_deadline).toLocaleString(), t.status, t.bid_count].forEach(v => tr.append(cell(v)));
    tr.id = 'tender-' + t.id; return tr;
  }));
}
document.getElementById('search').addEventListener('submit', e => {
  e.preventDefault(); const f = new FormData(e.target);
  load([...f.entries()].filter(([k, v]) => v));
});
load({});
// The live feed, reconnected with exponential backoff and jitter (0.5 s doubling up to 30 s)
// after any close but 4404 (no such socket: retrying cannot help), e.g. 1013 while the
// server's channel layer is down, 1012 on a restart; see docs/running.md. Delivery is at
// most once, so the list is re-read on every reconnection.
const FINAL_CLOSE_CODES = new Set([4404]);
let retryDelay = 500, everConnected = false;
function follow(){
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/tenders/');
  let steady;
  ws.onopen = () => {
    if (everConnected) load({});
    everConnected = true;
    steady = setTimeout(() => { retryDelay = 500; }, 5000);  // the backoff resets once a socket holds
  };
  ws.onmessage = e => {
    const ev = JSON.parse(e.data); const line = document.createElement('div');
    line.textContent = `${ev.at} tender ${ev.tender}: ${ev.type} → ${ev.status}`;
    document.getElementById('live').prepend(line); load({});
  };
  ws.onclose = e => {
    clearTimeout(steady);
    if (FINAL_CLOSE_CODES.has(e.code)) return;
    setTimeout(follow, retryDelay * (0.5 + Math.random()));
    retryDelay = Math.min(retryDelay * 2, 30000);
  };
}
follow();
