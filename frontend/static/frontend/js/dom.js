// Building elements without HTML strings: every string child becomes a text
// node, so user text (titles, questions) is always shown as text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A table wider than the screen scrolls sideways inside a region that the
// keyboard can reach (tabindex 0) and a screen reader names (the section's
// heading, ``labelledBy``): a scrolling box nobody can focus is a box a
// keyboard user cannot read (axe: scrollable-region-focusable).
export function scrollRegion(labelledBy, ...children) {
  return h('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-labelledby': labelledBy }, ...children);
}

export function pageData() {
  return JSON.parse(document.getElementById('page-data').textContent);
}
