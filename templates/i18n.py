"""Translations through gettext catalogs (Babel .po sources, compiled to .mo when the package is built).

English is the source language of every message; `zh` reads the zh_CN catalog. The active language is
a context variable set once per command (`activate`), so workflow and notifications code simply call `_()`.
"""

from __future__ import annotations

import gettext as _gettext
import os
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "unionflow"
LANGS = {"zh": "zh_CN", "en": "en"}
_active: ContextVar[str] = ContextVar("unionflow_lang", default="en")


def resolve_lang(explicit: str | None = None) -> str:
    """--lang, else UNIONFLOW_LANG, else the environment's locale (zh… → zh, another language → en), else
    Chinese: a locale that names no language (unset, C, POSIX — a service's usual environment) leaves the
    product's own language, so a daemon writes its emails in Chinese, not English."""
    for value in (explicit, os.environ.get("UNIONFLOW_LANG")):
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "").split(":")[0]
        if value and value.upper() not in ("C", "POSIX") and not value.upper().startswith("C."):
            return "zh" if value.lower().startswith("zh") else "en"
    return "zh"


@lru_cache(maxsize=4)
def translations(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    locale = LANGS.get(lang, lang)
    mo = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    # The .mo is built with the package; in a source checkout a .po edited since then wins.
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    if po.exists():  # a source checkout that was never built, or an edited .po: compile in memory
        import io

        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        buf = io.BytesIO()
        with po.open("rb") as fh:
            write_mo(buf, read_po(fh))
        buf.seek(0)
        return _gettext.GNUTranslations(buf)
    return _gettext.NullTranslations()


def activate(lang: str) -> None:
    _active.set("zh" if lang.startswith("zh") else "en")


def active_lang() -> str:
    return _active.get()


def gettext(message: str) -> str:
    return translations(_active.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_active.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message whose meaning depends on `context` (e.g. a column header: context "field")."""
    return translations(_active.get()).pgettext(context, message)


def translate(message: str, lang: str) -> str:
    return translations(lang).gettext(message)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: mark for extraction, translate later
    return message


_ = gettext
