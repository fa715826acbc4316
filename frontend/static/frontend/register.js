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
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/tenders/');
ws.onmessage = e => {
  const ev = JSON.parse(e.data); const line = document.createElement('div');
  line.textContent = `${ev.at} tender ${ev.tender}: ${ev.type} → ${ev.status}`;
  document.getElementById('live').prepend(line); load({});
};
