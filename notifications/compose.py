"""Render emails from the Jinja2 templates in `templates/email/` (or a user folder that overrides them).

Two environments: HTML with autoescape on, text with it off; both `StrictUndefined`, so a
missing value is an error, not a blank. A template defines `{% block subject %}` and its body;
templates get plain dicts, never ORM rows. When the user folder holds templates, both environments
are an `ImmutableSandboxedEnvironment`. Strings are wrapped in `_()` / `{% trans %}` and
translated through `jinja2.ext.i18n` (see `notifications.i18n`). A user's template should extend
`_base.txt.j2` / `_base.html.j2` like ours, so that its subject block is not printed in the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from notifications.i18n import STATUS_LABELS, level_label, status_label, translations
from notifications.message import clean_header

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=16)
def environment(kind: str, lang: str, user_dir: str | None = None):
    """The 'html' or 'text' environment for a language; a user folder (if given) comes first."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    user = user_dir and Path(user_dir).is_dir() and any(Path(user_dir).glob("*.j2"))
    loaders = [FileSystemLoader(user_dir)] if user else []
    loaders.append(PackageLoader("templates", "email"))
    # A user's templates run sandboxed (DESIGN.md); our own do not need it, and run twice as fast.
    env_class = ImmutableSandboxedEnvironment if user else Environment
    env = env_class(
        loader=ChoiceLoader(loaders),
        autoescape=(kind == "html"),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True  # msgids are the trimmed text (as babel extracts them)
    t = translations(lang)
    env.install_gettext_callables(t.gettext, t.ngettext, newstyle=True)
    # The same new-style callables, one `Context.call` each instead of three (`_` → gettext → the
    # catalogue's gettext): a digest calls them a few dozen times, a sweep renders thousands of digests.
    gettext, ngettext = _new_style(t.gettext, t.ngettext)
    env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext)
    env.globals["lang"] = lang
    # Punctuation of the language: Chinese text takes full-width colons, brackets and the enumeration comma.
    zh = lang == "zh"
    env.globals.update(colon="：" if zh else ": ", list_sep="、" if zh else ", ",
                       paren=lambda x: f"（{x}）" if zh else f" ({x})")
    # Looked up once per language (a digest shows a status per listed case).
    statuses = {s: status_label(s, lang) for s in STATUS_LABELS}
    env.filters["status_label"] = lambda s: statuses[s] if s in statuses else status_label(s, lang)
    env.filters["level_label"] = lambda s: level_label(s, lang)
    return env


def _new_style(gettext_fn, ngettext_fn):
    """jinja2.ext's new-style gettext and ngettext (escaped under autoescape, always %-formatted),
    calling the catalogue's plain functions directly."""
    from jinja2 import pass_context
    from markupsafe import Markup

    @pass_context
    def gettext(__context, __string, **variables):
        rv = gettext_fn(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables if variables or "%" in rv else rv  # "%%" is "%" either way

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = ngettext_fn(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return gettext, ngettext


class TemplateProblem(ValueError):
    """A user's email template cannot be used (syntax, an unknown variable, a sandbox violation)."""


def render(name: str, data: dict, lang: str = "zh", user_dir: str | Path | None = None) -> Rendered:
    """Subject, text and HTML of the email `name` (e.g. "reminder") for `data`.

    An error in a template of the user folder is a `TemplateProblem` naming the file and line.
    """
    from jinja2 import TemplateError

    user = str(user_dir) if user_dir else None
    try:
        text_t = environment("text", lang, user).get_template(f"{name}.txt.j2")
        html_t = environment("html", lang, user).get_template(f"{name}.html.j2")
        ctx = text_t.new_context(dict(data))
        subject = "".join(text_t.blocks["subject"](ctx)) if "subject" in text_t.blocks else name
        return Rendered(subject=clean_header(subject, 900), text=text_t.render(data), html=html_t.render(data))
    except TemplateError as exc:
        folder = Path(user).resolve() if user and Path(user).is_dir() else None
        if folder is None or not any(folder.glob("*.j2")):
            raise  # our own templates are tested: a failure there is a bug, not the user's to fix
        raise TemplateProblem(_template_problem(exc, folder)) from exc


def _template_problem(exc, folder: Path) -> str:
    """'FILE line N: what is wrong — what to do', FILE the user's template where it went wrong."""
    from traceback import walk_tb

    from templates.i18n import _

    where, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if where is None or not _inside(where, folder):
        # A runtime error: the deepest frame of a template of the user folder (jinja2 maps them to lines).
        frames = [(f.f_code.co_filename, n) for f, n in walk_tb(exc.__traceback__) if _inside(f.f_code.co_filename, folder)]
        where, line = frames[-1] if frames else (str(folder), None)
    message = (getattr(exc, "message", None) or str(exc) or type(exc).__name__).rstrip(".")
    said = _("{file} line {line}: {error}") if line else _("{file}: {error}")
    return said.format(file=where, line=line, error=message) + " — " + _(
        "fix the template, or remove it to use the built-in one")


def _inside(path: str | None, folder: Path) -> bool:
    try:
        return path is not None and Path(path).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False
