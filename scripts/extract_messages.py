"""Collect every message of the command line into the catalog template and merge it into zh_CN.

    .venv/bin/python scripts/extract_messages.py           # write unionflow.pot, update the .po, build the .mo
    .venv/bin/python scripts/extract_messages.py --check   # write nothing; exit 1 if the .po is behind

Sources of the `unionflow` domain (English is the msgid of every message):
1. the help of every command and option, walked from `cli.main` (as click shows it: cleaned docstrings);
2. `_()`, `_t()`, `gettext()`, `ngettext()`, `pgettext()` and `N_()` calls in the project's Python files
   (babel's Python extractor); in the files whose `_()`/`N_()` belong to another mechanism — the packet
   files (`workflow/packet_i18n.py` words) and `notifications/i18n.py` (the `email` domain) — only
   `gettext()` and the other keywords;
3. click's own user-facing words (Usage:, Options, Missing option …; `cli.localize` routes click's
   gettext calls to this catalog), but not `Error: {message}`: scripts look for `Error:`;
4. the field names and coded values of `templates/labels.py` (with their gettext contexts).

Merging keeps every existing translation; a new msgid gets an empty msgstr (tests/test_i18n.py fails
until it is translated); a msgid no longer found stays in the .po as obsolete (`#~`), so its
translation comes back if the message does.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "templates" / "locale"
POT = LOCALE / "unionflow.pot"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "unionflow.po"

KEYWORDS = {
    "_": None, "_t": None, "gettext": None, "N_": None,
    "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
}  # fmt: skip
PYTHON_DIRS = ("workflow", "states", "notifications", "templates")
OWN_UNDERSCORE = {
    "workflow/packet.py", "workflow/packet_docx.py", "workflow/packet_render.py", "workflow/packet_i18n.py",
    "notifications/i18n.py",
}  # fmt: skip
# click's files with words a user sees, and its messages that only a programmer sees (or that must stay).
CLICK_FILES = ("core.py", "decorators.py", "exceptions.py", "formatting.py", "parser.py", "types.py")
CLICK_SKIP = {
    "Error: {message}",  # kept in English everywhere: scripts grep `Error:`
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Value must be an iterable.",
    "Choice({choices})",
    "Invalid start character for option ({option})",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? Did you mean to "
    "pass '--{name}'?",
}


def _add(catalog, msgid, location, comment=None, context=None):
    from babel.messages.catalog import Message

    first = msgid[0] if isinstance(msgid, tuple) else msgid
    if not first:
        return
    existing = catalog.get(first, context=context)
    if existing is not None:
        if location not in existing.locations:
            existing.locations.append(location)
        return
    catalog[msgid] = Message(msgid, locations=[location], auto_comments=[comment] if comment else [],
                             context=context)


def help_messages(command=None, path=("unionflow",)):
    """(msgid, where) for the help of `command` and everything under it: English, cleaned as click shows it."""
    from inspect import cleandoc

    if command is None:
        sys.path.insert(0, str(ROOT))
        from cli import main as command
    for obj, where in [(command, " ".join(path)),
                       *((p, f"{' '.join(path)} {p.opts[0] if p.opts else p.name}") for p in command.params)]:
        for attr in ("help", "short_help"):
            text = obj.__dict__.get(f"_{attr}_en", getattr(obj, attr, None))
            if text:
                yield cleandoc(text), where
    for name, sub in getattr(command, "commands", {}).items():
        yield from help_messages(sub, (*path, name))


def python_files():
    yield ROOT / "cli.py"
    for folder in PYTHON_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel:
                yield path


def python_messages():
    """(msgid or (singular, plural), context, file, line) of every marked call."""
    from babel.messages.extract import extract_from_file

    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        keywords = {k: v for k, v in KEYWORDS.items() if k not in ("_", "N_")} if rel in OWN_UNDERSCORE else KEYWORDS
        for lineno, msgid, _comments, context in extract_from_file("python", str(path), keywords=keywords):
            yield msgid, context, rel, lineno


def click_messages():
    import click
    from babel.messages.extract import extract_from_file

    folder = Path(click.__file__).parent
    for name in CLICK_FILES:
        for _lineno, msgid, _c, context in extract_from_file("python", str(folder / name),
                                                             keywords={"_": None, "ngettext": (1, 2)}):
            if (msgid[0] if isinstance(msgid, tuple) else msgid) not in CLICK_SKIP:
                yield msgid, context, name


def build_template():
    """The catalog template (no translations) of everything the command line says."""
    from babel.messages.catalog import Catalog

    sys.path.insert(0, str(ROOT))
    from templates.labels import FIELDS, VALUES

    pot = Catalog(project="unionflow", version="0.1", charset="utf-8", fuzzy=False)
    for text, where in help_messages():
        _add(pot, text, ("cli.py", None), f"help: {where}")
    for msgid, context, rel, lineno in python_messages():
        _add(pot, msgid, (rel, lineno), context=context)
    for msgid, context, name in click_messages():
        _add(pot, msgid, (f"click/{name}", None), "click", context=context)
    for name in FIELDS:
        _add(pot, name, ("templates/labels.py", None), "a column header or record label", context="field")
    for context, values in VALUES.items():
        for v in values:
            _add(pot, v, ("templates/labels.py", None), f"a value of kind “{context}”", context=context)
    return pot


def merge(template, po_path: Path = PO):
    """The zh_CN catalog for `template`: existing translations kept, new msgids empty, old ones obsolete."""
    from babel.messages.catalog import Catalog, Message
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        old = read_po(fh, locale="zh_CN")
    known = {}
    for m in list(old) + list(old.obsolete.values()):
        if m.id and m.string and (not isinstance(m.string, tuple) or all(m.string)):
            known.setdefault((m.id if isinstance(m.id, str) else m.id[0], m.context), m.string)
    new = Catalog(locale="zh_CN", project="unionflow", version="0.1", charset="utf-8", fuzzy=False)
    new.language_team = "unionflow"
    for m in template:
        if not m.id:
            continue
        key = (m.id if isinstance(m.id, str) else m.id[0], m.context)
        string = known.get(key, "" if isinstance(m.id, str) else ("",) * new.num_plurals)
        new[m.id] = Message(m.id, string, locations=m.locations, auto_comments=m.auto_comments, context=m.context)
    for m in list(old) + list(old.obsolete.values()):
        key = (m.id if isinstance(m.id, str) else m.id[0], m.context)
        if m.id and m.string and new.get(key[0], context=m.context) is None:
            new.obsolete[m.id if m.context is None else (m.id, m.context)] = Message(m.id, m.string, context=m.context)
    return new


def untranslated(catalog) -> list:
    return [m for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]


def _po_bytes(catalog, **kw) -> bytes:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, catalog, width=100, include_lineno=False, omit_header=False, **kw)
    return buf.getvalue()


def _strip_dates(data: bytes) -> bytes:
    return b"\n".join(line for line in data.split(b"\n") if b"-Date:" not in line)


def _key(m):
    return (m.id if isinstance(m.id, str) else m.id[0], m.context)


def _behind(merged, po_path: Path = PO) -> list[str]:
    """What the committed .po lacks or has left over, compared by message and translation (not by the
    header or the location comments, which change with Babel's and click's versions). A committed click
    message that the installed click no longer has is not "left over": other click versions say it."""
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        committed = {_key(m): m for m in read_po(fh, locale="zh_CN") if m.id}
    wanted = {_key(m): m for m in merged if m.id}
    lacking = [f"  not in the .po: {k[0]!r}" for k, m in wanted.items()
               if k not in committed or committed[k].string != m.string]
    left_over = [f"  not in the sources: {k[0]!r}" for k, m in committed.items() if k not in wanted
                 and not all(str(loc).startswith("click/") for loc, _line in m.locations)]
    return lacking + left_over


def compile_mo(po_path: Path = PO) -> Path:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    mo = po_path.with_suffix(".mo")
    with mo.open("wb") as out:
        write_mo(out, catalog)
    return mo


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the catalog is behind")
    args = parser.parse_args(argv)
    template = build_template()
    merged = merge(template)
    missing = untranslated(merged)
    pot_bytes, po_bytes = _po_bytes(template), _po_bytes(merged)
    if args.check:
        behind = _behind(merged)
        print(f"{len(template)} messages; {len(missing)} untranslated; catalog {'behind' if behind else 'current'}")
        for m in missing[:50]:
            print(f"  untranslated: {m.id!r}")
        for line in behind[:50]:
            print(line)
        return 1 if behind or missing else 0
    POT.write_bytes(pot_bytes)
    if _strip_dates(po_bytes) != _strip_dates(PO.read_bytes()):
        PO.write_bytes(po_bytes)
    compile_mo()
    print(f"{len(template)} messages in {POT.relative_to(ROOT)}; {len(missing)} untranslated in "
          f"{PO.relative_to(ROOT)}; compiled {PO.with_suffix('.mo').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
