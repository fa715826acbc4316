// The scripts' strings: Django's JavaScriptCatalog (jsi18n/<lang>/) defines
// gettext, ngettext, pgettext and interpolate globally before the modules run.
const g = globalThis;
export const _ = (s) => (g.gettext ? g.gettext(s) : s);
// Named as Django's makemessages expects, so that their strings are extracted.
export const ngettext = (one, many, n) => (g.ngettext ? g.ngettext(one, many, n) : (n === 1 ? one : many));
export const pgettext = (ctx, s) => (g.pgettext ? g.pgettext(ctx, s) : s);
export const f_ = (s, values) => (g.interpolate ? g.interpolate(s, values, true)
  : s.replace(/%\((\w+)\)s/g, (_m, k) => values[k]));

export const STATUS = {
  draft: () => pgettext('tender status', 'draft'),
  active: () => pgettext('tender status', 'accepting bids'),
  evaluation: () => pgettext('tender status', 'evaluation'),
  awarded: () => pgettext('tender status', 'awarded'),
  complete: () => pgettext('tender status', 'complete'),
  unsuccessful: () => pgettext('tender status', 'unsuccessful'),
  cancelled: () => pgettext('tender status', 'cancelled'),
};
export const statusLabel = (s) => (STATUS[s] ? STATUS[s]() : s);

const COMPLAINT = {
  open: () => pgettext('complaint status', 'under review'),
  upheld: () => pgettext('complaint status', 'upheld'),
  dismissed: () => pgettext('complaint status', 'dismissed'),
};
export const complaintStatus = (s) => (COMPLAINT[s] ? COMPLAINT[s]() : s);
