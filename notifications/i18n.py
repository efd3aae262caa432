"""Translations of the emails: English source strings, a gettext catalog per language.

The zh catalog is `templates/translations/zh_CN/LC_MESSAGES/email.po`, read with Babel and compiled in
memory on first use (no build step); English is the source text itself.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from importlib.resources import files
from io import BytesIO

LOCALES = {"zh": "zh_CN", "en": None}


def N_(text: str) -> str:
    """Mark a string for extraction without translating it here."""
    return text


STATUS_LABELS = {
    "prospect": N_("prospect"), "contacted": N_("contacted"), "preparatory": N_("preparatory"),
    "founded": N_("founded"), "active": N_("active"), "closed": N_("closed"),
}
LEVEL_LABELS = {
    "remind": N_("Reminders"), "overdue": N_("Overdue"), "meeting": N_("For the joint meeting"),
    "next_action": N_("Follow-ups due"),
}


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    locale = LOCALES.get(lang)
    if locale is None:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = files("templates") / "translations" / locale / "LC_MESSAGES" / "email.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def status_label(status: str, lang: str) -> str:
    return translations(lang).gettext(STATUS_LABELS.get(status, status))


def level_label(level: str, lang: str) -> str:
    return translations(lang).gettext(LEVEL_LABELS.get(level, level))
