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
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;

  function open() {
    socket = new WebSocket(url);
    socket.onopen = () => {
      if (attempt > 0) say('');
      attempt = 0;
      if (onOpen) onOpen();
    };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      onMessage(message);
    };
    socket.onclose = () => {
      if (closed) return;
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
