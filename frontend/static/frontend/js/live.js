// The one socket module: connect, hand every message (the snapshot first on
// a tender socket) to the page, reconnect with backoff when the connection
// drops, and say so in the page's status line meanwhile.
import { _ } from './i18n.js';

const banner = () => document.getElementById('net');

function say(text) {
  const el = banner();
  if (!el) return;
  el.textContent = text;
  el.classList.toggle('shown', Boolean(text));
}

export function connect(path, { onMessage, onOpen } = {}) {
  let socket = null;
  let attempt = 0;
  let closed = false;
  let timer = null;
  let steady = null;
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;

  function open() {
    socket = new WebSocket(url);
    socket.onopen = () => {
      if (attempt > 0) say('');
      // the backoff starts again only once a socket holds (a server that
      // accepts and closes at once is not retried in a tight loop)
      steady = setTimeout(() => { attempt = 0; }, 5000);
      if (onOpen) onOpen();
    };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      onMessage(message);
    };
    socket.onclose = (event) => {
      clearTimeout(steady);
      if (closed) return;
      // 4404: no such socket (an unknown tender); retrying cannot help. Any
      // other close (1013 while the server's channel layer is down, 1012 on a
      // restart, a lost network) is retried.
      // 4403: not allowed on this socket (a tender's committee channel).
      if (event.code === 4404 || event.code === 4403) { closed = true; return; }
      // 4401: the credentials this socket was opened with changed (a password
      // change, a sign-out): open it again at once with what still holds.
      if (event.code === 4401) { attempt = 0; open(); return; }
      attempt += 1;
      // 1 s, 2 s, 4 s … up to 30 s, with jitter so that a restarted server
      // is not hit by every page at once.
      const delay = Math.min(30000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
      say(_('Live updates lost: reconnecting…'));
      timer = setTimeout(open, delay);
    };
  }
  open();
  addEventListener('online', () => { if (socket && socket.readyState > 1) { clearTimeout(timer); open(); } });
  return {
    close() { closed = true; clearTimeout(timer); if (socket) socket.close(); },
    get socket() { return socket; },
  };
}

export function announce(text) { say(text); }
