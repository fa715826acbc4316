// The scripts' strings: Django's JavaScriptCatalog (jsi18n/<lang>/) defines
// gettext, ngettext, pgettext and interpolate globally before the modules run.
const g = globalThis;
export const _ = (s) => (g.gettext ? g.gettext(s) : s);
export const n_ = (one, many, n) => (g.ngettext ? g.ngettext(one, many, n) : (n === 1 ? one : many));
export const p_ = (ctx, s) => (g.pgettext ? g.pgettext(ctx, s) : s);
export const f_ = (s, values) => (g.interpolate ? g.interpolate(s, values, true)
  : s.replace(/%\((\w+)\)s/g, (_m, k) => values[k]));

export const STATUS = {
  draft: () => p_('tender status', 'draft'),
  active: () => p_('tender status', 'accepting bids'),
  evaluation: () => p_('tender status', 'evaluation'),
  awarded: () => p_('tender status', 'awarded'),
  complete: () => p_('tender status', 'complete'),
  unsuccessful: () => p_('tender status', 'unsuccessful'),
  cancelled: () => p_('tender status', 'cancelled'),
};
export const statusLabel = (s) => (STATUS[s] ? STATUS[s]() : s);
