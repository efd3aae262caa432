"""Translations of the emails: English source strings, gettext domain `email` beside the app's catalog.

The zh catalog is `templates/locale/zh_CN/LC_MESSAGES/email.po` (compiled to .mo when the package is
built, see setup.py; a source checkout compiles it in memory). English is the source text itself.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

LOCALES = {"zh": "zh_CN", "en": None}
DOMAIN = "email"


def N_(text: str) -> str:
    """Mark a string for extraction without translating it here."""
    return text


STATUS_LABELS = {
    "prospect": N_("prospect"), "contacted": N_("contacted"), "preparatory": N_("preparatory"),
    "founded": N_("founded"), "active": N_("active"), "closed": N_("closed"),
}
LEVEL_LABELS = {
    "remind": N_("Reminders"), "overdue": N_("Overdue"), "meeting": N_("For the joint meeting"),
    "next_action": N_("Follow-ups due"), "resolution": N_("Joint-meeting decisions due"),
}


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    locale = LOCALES.get(lang)
    if locale is None:
        return gettext.NullTranslations()
    import templates

    folder = Path(templates.__file__).parent / "locale" / locale / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def status_label(status: str, lang: str) -> str:
    return translations(lang).gettext(STATUS_LABELS.get(status, status))


def level_label(level: str, lang: str) -> str:
    """A digest section's heading: in Chinese the product's one term of the level (templates.labels.LEVEL_ZH)."""
    from templates.labels import LEVEL_ZH

    if lang == "zh" and level in LEVEL_ZH:
        return LEVEL_ZH[level]
    return translations(lang).gettext(LEVEL_LABELS.get(level, level))
