"""Compile the interface's translation catalogues (locale/*/LC_MESSAGES/*.po)
to the .mo files Django reads, with Babel (pure Python: no GNU gettext
needed on the machine). Run by bin/_setup: ``python -m frontend.catalogues``.
Only catalogues whose .po is newer than their .mo are compiled."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def problems(po: Path) -> list[str]:
    """Untranslated or fuzzy entries of one catalogue (an empty list when complete)."""
    with po.open("rb") as fh:
        catalog = read_po(fh)
    found = []
    if catalog.fuzzy:
        found.append(f"{po}: the catalogue's header is fuzzy")
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            found.append(f"{po}: fuzzy: {message.id!r}")
        elif not all(strings):
            found.append(f"{po}: untranslated: {message.id!r}")
    return found


def compile_all(locale: Path = LOCALE, *, force: bool = False) -> list[Path]:
    compiled = []
    for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        compiled.append(mo)
    return compiled


if __name__ == "__main__":
    for path in compile_all(force="--force" in sys.argv):
        print(f"compiled {path.relative_to(LOCALE.parent)}")
