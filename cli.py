"""The unionflow command line: parses, makes one call into workflow/, renders. No business rules.

Only click is imported at start-up; everything else is imported inside the command that needs it, so
`unionflow --help` stays fast (a test pins the import list).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from workflow.vocabulary import MAX_COUNT, MAX_ID, MEETING_STATUSES, STATUSES

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --------------------------------------------------------------------------------------------- plumbing
class IsoDate(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.fail(_t("{value!r} is not a date: use YYYY-MM-DD, e.g. 2018-07-01").format(value=value), param, ctx)


class IsoDateTime(click.ParamType):
    name = "DATETIME"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        text = value.strip().replace(" ", "T")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is None or "T" not in text:  # a bare date would silently mean 00:00
            self.fail(_t("{value!r} is not a date-time: use YYYY-MM-DDTHH:MM, e.g. 2018-08-15T14:30").format(value=value),
                      param, ctx)
        return parsed


class CaseRef(click.ParamType):
    """REF: a case id, or an enterprise's USCC (18 characters, even when they are all digits)."""

    name = "REF"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if len(text) != 18 and text.isdigit() and not 1 <= int(text) <= MAX_ID:
            self.fail(_t("{value!r} is neither a case id (1 to {max}) nor a USCC (18 characters)").format(
                value=text, max=MAX_ID), param, ctx)
        return text


class WholeNumber(click.IntRange):
    """An integer in a range; what is not a number is said in the user's words (click says 'integer range')."""

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            try:
                int(value.strip())
            except ValueError:
                self.fail(_t("{value!r} is not a whole number").format(value=value), param, ctx)
        return super().convert(value, param, ctx)


class CaseStatus(click.Choice):
    """A case status: its code, or its Chinese name as the registry and the tables write it (已对接)."""

    def __init__(self):
        super().__init__(list(STATUSES))

    def convert(self, value, param, ctx):
        from workflow.packet_i18n import STATUS_LABELS

        by_name = {zh: code for code, (_en, zh) in STATUS_LABELS.items()}
        return super().convert(by_name.get(str(value).strip(), value), param, ctx)


DATE = IsoDate()
DATETIME = IsoDateTime()
REF = CaseRef()
LIMIT = WholeNumber(1, MAX_ID)  # --limit N
COUNT = WholeNumber(0, MAX_COUNT)  # employees, members, sign-ups: more is a typo
ID = WholeNumber(1, MAX_ID)  # a row id


class UnionflowGroup(click.Group):
    """Turns domain errors into `Error: …` with exit 1 (click does usage errors, exit 2)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except Exception as exc:  # noqa: BLE001 - the domain error classes are imported lazily
            from workflow.errors import WorkflowError

            if isinstance(exc, WorkflowError):
                error = click.ClickException(str(exc))
                error.details = getattr(exc, "errors", None)
                raise error from exc
            if type(exc).__module__.startswith(("sqlalchemy", "psycopg")) and "connect" in str(exc).lower():
                raise click.ClickException(_t("cannot reach the database: {error}").format(
                    error=str(exc).splitlines()[0])) from exc
            raise

    def list_commands(self, ctx):
        return list(self.commands)  # keep the order of definition, which follows the work

    def format_commands(self, ctx, formatter):
        """Each command with its whole first sentence (click cuts it to one line with `...`), wrapped by
        display width: click's wrapping counts a Chinese character as one column and breaks only at spaces."""
        # click joins a summary's lines with a space: none between two Chinese characters
        rows = [(name, join_wide(cmd.get_short_help_str(limit=10_000), " "))
                for name in self.list_commands(ctx) if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            first_col = min(max(len(name) for name, _ in rows), 30) + 2  # as `HelpFormatter.write_dl` lays it out
            width = max(formatter.width - first_col - 2, 10)
            with formatter.section(_t("Commands")):
                formatter.write_dl([(name, "\b\n" + "\n".join(wrap_cells(text, width))) for name, text in rows])


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal cells: broken at spaces, or between Chinese characters
    (never before Chinese closing punctuation)."""
    from templates.labels import display_width

    lines, line = [], ""
    for token in _wrap_tokens(text):
        if token.isspace():
            line += " " if line else ""
        elif line and display_width(line + token) > width:
            lines.append(line.rstrip())
            line = token
        else:
            line += token
    return [*lines, line.rstrip()]


def _wrap_tokens(text: str) -> list[str]:
    """Runs of spaces, a Chinese character with the closing punctuation after it, runs of anything else."""
    tokens, i, n = [], 0, len(text)
    while i < n:
        j = i + 1
        if text[i].isspace():
            while j < n and text[j].isspace():
                j += 1
        elif is_wide(text[i]):
            while j < n and text[j] in "，。、；：）》」』”！？":
                j += 1
        else:
            while j < n and not text[j].isspace() and not is_wide(text[j]):
                j += 1
        tokens.append(text[i:j])
        i = j
    return tokens


# Chinese characters and punctuation. Tested by comparison, not in a regex character class: `re` compiles
# a class of such ranges into a 64K-entry map, milliseconds per pattern at every `--help`.
WIDE_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))


def is_wide(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in WIDE_RANGES)


def join_wide(text: str, sep: str) -> str:
    """`text` without the `sep` (a space or a line break) that stands between two Chinese characters."""
    import re

    return re.sub(f"(?<=(\\S)){sep}(?=(\\S))",
                  lambda m: "" if is_wide(m.group(1)) and is_wide(m.group(2)) else sep, text)


class CellHelpFormatter(click.HelpFormatter):
    """Help text with Chinese in it: a translation's lines joined without a space where both sides are
    Chinese (click joins them with one), and wrapped by display width, between Chinese characters too.
    Text without Chinese is wrapped by click as before."""

    def write_text(self, text: str) -> None:
        import re

        if not any(map(is_wide, text)):
            return super().write_text(text)
        paragraphs = []
        for para in re.split(r"\n\s*\n", text.expandtabs().strip("\n")):
            lines = para.splitlines()
            indent = " " * (self.current_indent + len(lines[0]) - len(lines[0].lstrip()))
            if lines[0].strip() == "\b":  # click's mark for a block not to be rewrapped
                paragraphs.append("\n".join(indent + line if line.strip() else "" for line in lines[1:]))
                continue
            joined = ""
            for line in (line.strip() for line in lines):
                both_wide = line and joined and is_wide(line[0]) and is_wide(joined[-1])
                joined += line if not joined or both_wide else " " + line
            width = max(self.width - len(indent), 11)
            paragraphs.append("\n".join(indent + line for line in wrap_cells(joined, width)))
        self.write("\n\n".join(paragraphs) + "\n")

    def write_dl(self, rows, col_max=30, col_spacing=2):
        """Options and commands: click rewraps each help with its lines joined by spaces (see join_wide_lines)."""
        return super().write_dl([(term, join_wide_lines(help_)) for term, help_ in rows], col_max, col_spacing)


click.Context.formatter_class = CellHelpFormatter


def group(parent, name, **kw):
    return parent.group(name, cls=UnionflowGroup, context_settings=CONTEXT_SETTINGS, **kw)


class State:
    """The root options, and the workflow Context made from them on first use."""

    def __init__(self, db, actor, config, lang):
        self.db, self.actor, self.config, self.lang = db, actor, config, lang
        self._ctx = None

    @property
    def ctx(self):
        if self._ctx is None:
            from workflow.context import Context

            self._ctx = Context.open(db_url=self.db, config_path=self.config, lang=self.lang, actor_code=self.actor)
        return self._ctx

    def close(self):
        if self._ctx is not None:
            self._ctx.close()


def command_name() -> str:
    """The command being run, as typed: "unionflow scheduler run" (the database server shows it)."""
    names, ctx = [], click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None:
        names.insert(0, ctx.info_name)
        ctx = ctx.parent
    return " ".join(["unionflow", *names])


def pass_state(f):
    """Passes the State, as click.make_pass_decorator does, and names the command for the database server
    (its engine is made on first use, inside the command)."""

    def new_func(*args, **kwargs):
        ctx = click.get_current_context()
        state = ctx.find_object(State)
        state.ctx.application_name = command_name()
        return ctx.invoke(f, state, *args, **kwargs)

    return functools.update_wrapper(new_func, f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")(f)


def on_option(f):
    return click.option("--on", type=DATE, help="The day it happened (default today; never in the future).")(f)


def note_option(f):
    return click.option("--note", help="Free text for the case timeline.")(f)


def as_of_option(f):
    return click.option("--as-of", "as_of", type=DATE, help="Compute as of this day (default today).")(f)


TABLE_ROWS = 100  # a list's rows in a table unless --limit says otherwise


def limit_option(f):
    return click.option("--limit", type=WholeNumber(0, MAX_ID), metavar="N",
                        help="At most N rows (default 100 in a table, all with --json); --limit 0 for all.")(f)


def rows_limit(limit: int | None, as_json: bool) -> int | None:
    """The LIMIT a list command asks for: --limit N; none for --limit 0, and for --json without --limit."""
    if limit is None:
        return None if as_json else TABLE_ROWS
    return limit or None


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# --------------------------------------------------------------------------------------------- output files (--out)
def check_out_path(path: str) -> None:
    """Refuse an --out file that cannot be written (exit 1), before any work is done for it."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        said = (_t("cannot write {path}: {folder} is not a folder; choose another --out") if os.path.exists(folder)
                else _t("cannot write {path}: the folder {folder} does not exist; create it or choose another --out"))
        raise click.ClickException(said.format(path=path, folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise click.ClickException(_t("cannot write {path}: permission denied; choose another --out").format(path=path))


def _checked_out(ctx, param, value):
    if value is not None:
        check_out_path(value)
    return value


def out_option(help_text: str):
    return click.option("--out", type=click.Path(dir_okay=False), callback=_checked_out, help=help_text)


@contextmanager
def output_file(path: str):
    """A temporary file beside `path` to write to: it becomes `path` only once written whole, so a failure
    leaves no partial file (and an older `path` as it was). Errors become `Error: cannot write …` (exit 1)."""
    import tempfile

    check_out_path(path)
    target = os.path.abspath(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".unionflow-", suffix=Path(path).suffix)
        os.close(fd)
        yield tmp
        if os.path.exists(target):
            mode = os.stat(target).st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise click.ClickException(_t("cannot write {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from exc
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def write_output(path: str, data: str | bytes) -> None:
    """Write a whole output file (text as UTF-8) through `output_file`."""
    with output_file(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def table(rows: list[dict], columns: list[str] | None = None, title: str | None = None, values=None) -> None:
    """A table that fits the terminal (see `fit_widths`); headers and coded values in the active language.

    `values` maps a column to the kind of value it holds when it differs from `templates.labels.COLUMN_VALUES`.
    """
    if not rows:
        click.echo(_t("(none)"))
        return
    from templates.labels import COLUMN_VALUES, field, value

    kinds = {**COLUMN_VALUES, **(values or {})}
    columns = columns or list(rows[0])
    cells = [["" if r.get(c) is None else str(value(kinds.get(c), r.get(c))) for c in columns] for r in rows]
    headers = [field(c) for c in columns]
    width = terminal_width()
    shared = shared_columns(headers, cells, width, {i for i, c in enumerate(columns) if c in TEXT_COLUMNS})
    if shared:  # said once above the table, to give its room to the text columns
        click.echo(_t("; ").join(_t("{field}: {value}").format(field=headers[i], value=cells[0][i]) for i in shared))
        keep = [i for i in range(len(columns)) if i not in shared]
        columns, headers = [columns[i] for i in keep], [headers[i] for i in keep]
        cells = [[r[i] for i in keep] for r in cells]
    print_table(headers, cells, title=title, width=width,
                elastic={i for i, c in enumerate(columns) if c in TEXT_COLUMNS},
                wrap={i for i, c in enumerate(columns) if c in WRAP_COLUMNS})


def terminal_width() -> int | None:
    """What tables are fitted to: the terminal's width; when output is not a terminal, COLUMNS if it is set;
    else None (into a file or another program): a table keeps its whole width."""
    if sys.stdout.isatty():
        from rich.console import Console

        return Console().width
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


def shared_columns(headers: list[str], rows: list[list[str]], width: int | None, elastic: set[int]) -> list[int]:
    """When a table of several rows is too wide for `width` (None: no limit): the columns (not the first, not
    text) whose every row holds one and the same value, e.g. the park of a one-park registry."""
    from rich.cells import cell_len

    if len(rows) < 2 or width is None:
        return []
    full = sum(max([cell_len(h)] + [cell_len(r[i]) for r in rows]) for i, h in enumerate(headers))
    if full + COLUMN_GAP * (len(headers) - 1) <= width:
        return []
    return [i for i in range(1, len(headers)) if i not in elastic and rows[0][i] and all(r[i] == rows[0][i] for r in rows)]


# Free text that gives way (cut with …) when a table is wider than the terminal; WRAP_COLUMNS wrap instead.
TEXT_COLUMNS = frozenset({"enterprise", "name", "title", "place", "subject", "last_error", "email", "to", "reason",
                          "industry", "joint_union", "park_name", "cadre_name", "actor", "note", "party_label",
                          "source", "error"})
WRAP_COLUMNS = frozenset({"note"})
ELASTIC_MIN = 10  # terminal cells a text column keeps when it gives way, if headers leave room
ELASTIC_LEAST = 6  # … and before any header gets room (a person's name: three Chinese characters)
COLUMN_GAP = 3  # padding, the (blank) rule of box.SIMPLE_HEAD, padding


def _header_parts(header: str) -> list[str]:
    """The pieces a header may break between: after `_` or a space, and every two Chinese characters."""
    import re

    wide = "\u3000-\u9fff\uff00-\uffef"
    return [p for piece in re.split(r"(?<=[_ ])", header) for p in re.findall(f"[{wide}]{{1,2}}|[^{wide}]+", piece)]


def _header_lines(header: str, width: int) -> str:
    """A header in lines no wider than its column where it can (see `_header_parts`)."""
    from rich.cells import cell_len

    lines, line = [], ""
    for part in _header_parts(header):
        if line and cell_len(line + part.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += part
    return "\n".join([*lines, line.rstrip()])


def fit_widths(headers: list[str], rows: list[list[str]], width: int, elastic: set[int],
               wrap: set[int] = frozenset()) -> list[int]:
    """Column widths for a terminal `width` cells wide (COLUMN_GAP between columns). What is left after the
    values of the other columns goes, in this order: to the `elastic` columns up to ELASTIC_LEAST cells;
    to headers broken between words (`_header_parts`; taken even beyond `width`); to the elastic columns up
    to ELASTIC_MIN cells; to the whole values of the elastic columns cut with … (not those in `wrap`,
    which lose nothing when narrow); to headers in as few lines as it allows (`_lower_headers`); to whole
    headers in equal shares; to the `wrap` columns. A value of a column not elastic never breaks, so the
    sum may exceed `width`."""
    from rich.cells import cell_len

    n = len(headers)
    values = [max([1] + [cell_len(r[i]) for r in rows]) for i in range(n)]
    full = [max(v, cell_len(h)) for v, h in zip(values, headers, strict=True)]
    spare = width - COLUMN_GAP * (n - 1) - sum(full)
    if spare >= 0:
        return full
    word = [max([v] + [cell_len(p.rstrip()) for p in _header_parts(h)]) for v, h in zip(values, headers, strict=True)]
    out = [1 if i in elastic else values[i] for i in range(n)]
    spare = width - COLUMN_GAP * (n - 1) - sum(out)
    others = [i for i in range(n) if i not in elastic]
    spare = _widen(out, [min(w, ELASTIC_LEAST) for w in word], sorted(elastic), spare, fair=True)
    for i in others:  # a header's longest word never breaks either: rather a wider table than a folded word
        spare -= word[i] - out[i]
        out[i] = word[i]
    spare = _widen(out, [min(w, ELASTIC_MIN) for w in word], sorted(elastic), spare, fair=True)
    spare = _widen(out, word, sorted(set(elastic) - set(wrap)), spare, fair=True)
    spare = _lower_headers(out, headers, others, spare)
    spare = _widen(out, full, others, spare, fair=True)
    _widen(out, word, sorted(elastic), spare, fair=True)
    return out


def _lower_headers(out: list[int], headers: list[str], cols: list[int], spare: int) -> int:
    """Widen the columns `cols` so that their headers take the fewest lines `spare` cells allow (room that
    makes one header shorter while another keeps the height is better left to the text columns)."""
    from rich.cells import cell_len

    def lines(i: int, width: int) -> int:
        return _header_lines(headers[i], width).count("\n") + 1

    for height in range(1, max([lines(i, out[i]) for i in cols], default=1)):
        need = {}
        for i in cols:
            need[i] = out[i]
            while lines(i, need[i]) > height and need[i] < cell_len(headers[i]):
                need[i] += 1
        cost = sum(need[i] - out[i] for i in cols)
        if cost <= spare:
            for i in cols:
                out[i] = need[i]
            return spare - cost
    return spare


def _widen(out: list[int], target: list[int], cols: list[int], spare: int, fair: bool) -> int:
    """Raise `out[i]` towards `target[i]` for the columns `cols` with at most `spare` cells (in equal
    shares if `fair`, else left to right); returns what is left."""
    cols = [i for i in cols if target[i] > out[i]]
    while cols and spare > 0:
        share = max(spare // len(cols), 1) if fair else spare
        for i in list(cols):
            add = min(share, target[i] - out[i], spare)
            out[i] += add
            spare -= add
            if out[i] >= target[i]:
                cols.remove(i)
    return spare


def print_table(headers: list[str], rows: list[list[str]], *, title=None, elastic=(), wrap=(), right=(),
                width: int | None = None) -> None:
    """A rich table fitted to the terminal (see `fit_widths`), or as wide as it is when no width applies (see
    `terminal_width`): cells are plain text (no markup); columns `elastic` (indexes) are cut with … when
    narrowed, or wrapped if also in `wrap`; `right`: right-aligned."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    width = width or terminal_width()
    widths = fit_widths(headers, rows, width or MAX_ID, set(elastic), set(wrap))
    total = sum(widths) + COLUMN_GAP * (len(widths) - 1)
    if width is not None and total > width:  # too narrow even for whole words: a record per row, as psql's \x auto
        print_records(headers, rows, title=title)
        return
    console = Console(soft_wrap=False, width=width or max(total, 1))
    t = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i, (h, w) in enumerate(zip(headers, widths, strict=True)):
        t.add_column(_header_lines(h, w), width=w, justify="right" if i in right else "left", overflow="fold")
    for r in rows:
        cells = [Text(v) for v in r]
        for i in set(elastic) - set(wrap):
            cells[i].truncate(widths[i], overflow="ellipsis")
        t.add_row(*cells)
    console.print(t)


def print_records(headers: list[str], rows: list[list[str]], *, title=None) -> None:
    """One block per row, `header  value` lines aligned by display width: for a table too wide for the
    terminal even with its headers broken between words."""
    from rich.cells import cell_len

    if title:
        click.echo(title)
    pad = max(cell_len(h) for h in headers)
    for n, row in enumerate(rows, 1):
        click.echo(f"-[ {n} ]" + "-" * max(0, min(terminal_width() or 40, 40) - len(f"-[ {n} ]")))
        for h, v in zip(headers, row, strict=True):
            click.echo(h + " " * (pad - cell_len(h) + 2) + v)


def short_time(ctx, instant) -> str | None:
    """A stored instant as the local `YYYY-MM-DD HH:MM` (tables; JSON keeps ISO)."""
    if instant is None:
        return None
    if isinstance(instant, str):
        from datetime import datetime

        instant = datetime.fromisoformat(instant)
    return ctx.clock.local(instant).strftime("%Y-%m-%d %H:%M")


def show_record(d: dict, values=None) -> None:
    """`key  value` lines, the labels in the active language and aligned (CJK characters are two columns)."""
    from templates.labels import COLUMN_VALUES, display_width, field, value

    kinds = {**COLUMN_VALUES, **(values or {})}
    labels = {k: field(k) for k in d}
    width = max(display_width(x) for x in labels.values()) if d else 0
    for k, v in d.items():
        v = ", ".join(map(str, v)) if isinstance(v, list) else value(kinds.get(k), v)
        label = labels[k]
        click.echo(f"{label}{' ' * (width - display_width(label))}  {'' if v is None else v}")


def render(as_json: bool, data, *, columns=None, title=None, values=None):
    """JSON, a table (with a last line saying how many rows a limit left out), or a record."""
    if as_json:
        echo_json(data)
    elif isinstance(data, list):
        table(data, columns, title, values)
        more = getattr(data, "total", len(data)) - len(data)
        if more > 0:
            click.echo(_t("… {n} more; use --limit 0 for all").format(n=more))
    else:
        show_record(data, values)


# --------------------------------------------------------------------------------------------- root
@click.group(cls=UnionflowGroup, context_settings=CONTEXT_SETTINGS)
@click.option("--db", envvar="UNIONFLOW_DATABASE_URL", metavar="URL",
              help="Database URL (env UNIONFLOW_DATABASE_URL). Default: a SQLite file in the user data directory.")
@click.option("--as", "actor", envvar="UNIONFLOW_USER", metavar="CODE",
              help="Your cadre code (env UNIONFLOW_USER); needed for every command that changes data.")
@click.option("--config", envvar="UNIONFLOW_CONFIG", metavar="PATH", type=click.Path(dir_okay=False),
              help="TOML configuration file (env UNIONFLOW_CONFIG).")
@click.option("--lang", envvar="UNIONFLOW_LANG", type=click.Choice(["zh", "en"]),
              help="Language of output, emails and documents (env UNIONFLOW_LANG).")
@click.version_option(package_name="unionflow")
@click.pass_context
def main(ctx, db, actor, config, lang):
    """unionflow — union founding cases for the non-public enterprises of a park.

    \b
    Every enterprise is a case: prospect → contacted → preparatory → founded → active.
    Cadres advance their cases; a daily sweep reminds and escalates stalled ones to the
    six-party joint meeting; reports show the founding rate against targets.

    \b
    Start here:
      unionflow demo                         replay the Songjiang pilot on a demo database
      unionflow init --admin A01 --name 管理员 --email admin@example.org
      unionflow --as A01 enterprise import registry.xlsx --park SJ
      unionflow --as C01 case contact 91310117MA1000009T --person 王经理
    """
    level = os.environ.get("UNIONFLOW_LOG_LEVEL")
    if level:
        import logging

        logging.basicConfig(level=level.upper(), stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from templates.i18n import activate

    state = State(db, actor, config, lang)
    ctx.obj = state
    ctx.call_on_close(state.close)
    # --lang (or UNIONFLOW_LANG), else the configuration file, else the environment's locale.
    activate(state.ctx.lang)


# --------------------------------------------------------------------------------------------- set-up
@main.command()
@click.option("--admin", required=True, metavar="CODE", help="Code of the first admin, e.g. A01.")
@click.option("--name", required=True, help="The admin's name.")
@click.option("--email", required=True, help="The admin's email address.")
@pass_state
def init(state, admin, name, email):
    """Create the database schema and the first admin.

    \b
    Example:
      unionflow init --admin A01 --name 李华 --email lihua@example.org
    """
    from workflow.people import init as do_init

    result = do_init(state.ctx, admin=admin, name=name, email=email)
    admin = result["admin"]
    if result["created"]:
        click.echo(_t("Database ready at {database}; admin {admin} created.").format(database=result["database"],
                                                                                     admin=admin))
    else:
        click.echo(_t("Database ready at {database}; admin {admin} already there.").format(database=result["database"],
                                                                                           admin=admin))
    click.echo(_t("Next: unionflow --as {admin} park add CODE NAME").format(admin=admin))


@group(main, "db")
def db_group():
    """Database schema."""


@db_group.command("upgrade")
@pass_state
def db_upgrade(state):
    """Bring the schema to the current version (runs the migrations)."""
    from workflow.db import head_revision, upgrade

    upgrade(state.ctx.config.database_url)
    click.echo(_t("Schema at revision {revision}.").format(revision=head_revision()))


@db_group.command("current")
@json_option
@pass_state
def db_current(state, as_json):
    """The database's schema revision, and whether it is current for this unionflow.

    \b
    Example: unionflow db current --json
    """
    from workflow.db import schema_report

    report = schema_report(state.ctx.engine)
    if as_json:
        echo_json(report)
        return
    said = {"current": _t("Schema at revision {revision}: current."),
            "behind": _t("Schema at revision {revision}, behind this unionflow's {head}: run `unionflow db upgrade`."),
            "ahead": _t("Schema at revision {revision}, made by a newer unionflow (this one knows up to {head}): "
                        "upgrade unionflow."),
            "none": _t("No unionflow schema in {database}: run `unionflow init --admin CODE --name NAME --email "
                       "EMAIL`.")}[report["state"]]
    click.echo(said.format(**report))


# --------------------------------------------------------------------------------------------- parks and cadres
@group(main, "park")
def park_group():
    """Parks (园区) and sub-parks."""


@park_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--level", type=click.Choice(["national", "municipal", "district"]), default="national", show_default=True,
              help="Level of the park: national, municipal or district development zone.")
@click.option("--parent", metavar="CODE", help="The park this one belongs to (a sub-park).")
@pass_state
def park_add(state, code, name, level, parent):
    """Add a park. Example: unionflow --as A01 park add SJ 松江经开区 --level national"""
    from workflow.people import add_park

    added = add_park(state.ctx, code=code, name=name, level=level, parent=parent)
    click.echo(_t("Park {code} added.").format(code=added["code"]))


@park_group.command("list")
@json_option
@pass_state
def park_list(state, as_json):
    """List parks with their level and parent park. Example: unionflow park list --json"""
    from workflow.people import list_parks

    render(as_json, list_parks(state.ctx), values={"level": "park level"})


@group(main, "cadre")
def cadre_group():
    """Cadres, social workers, supervisors, secretaries and admins."""


@cadre_group.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The cadre's name.")
@click.option("--email", required=True, help="Where reminders and escalations are sent.")
@click.option("--role", type=click.Choice(["cadre", "social_worker", "supervisor", "secretary", "admin"]),
              default="cadre", show_default=True, help="A cadre or social worker acts on own cases, a supervisor also on the team's; a secretary "
                   "runs meetings; an admin does everything.")
@click.option("--park", metavar="CODE", help="The cadre's park.")
@click.option("--supervisor", metavar="CODE", help="The cadre's supervisor (a cadre with role supervisor).")
@pass_state
def cadre_add(state, code, name, email, role, park, supervisor):
    """Add a cadre (admins only).

    \b
    Example:
      unionflow --as A01 cadre add S01 --name 张伟 --email zhangwei@example.org --role supervisor --park SJ
      unionflow --as A01 cadre add C01 --name 王芳 --email wangfang@example.org --park SJ --supervisor S01
    """
    from workflow.people import add_cadre

    added = add_cadre(state.ctx, code=code, name=name, email=email, role=role, park=park, supervisor=supervisor)
    click.echo(_t("Cadre {code} ({role}) added.").format(code=added["code"], role=_coded("role", role)))


@cadre_group.command("deactivate")
@click.argument("code")
@json_option
@pass_state
def cadre_deactivate(state, code, as_json):
    """Deactivate a cadre who leaves (admins): they no longer act, receive cases or get emails.

    Their cases stay theirs until handed over with `unionflow assign NEW --from CODE`; meanwhile the
    reminders of those cases go to the park's supervisors.

    \b
    Examples:
      unionflow --as A01 cadre deactivate C01
      unionflow --as A01 assign C02 --from C01
    """
    from workflow.people import set_active

    result = set_active(state.ctx, code, active=False)
    if as_json:
        echo_json(result)
        return
    click.echo((_t("Cadre {code} deactivated.") if result["changed"] else _t("Cadre {code} was already deactivated."))
               .format(**result))
    if result["open_cases"]:
        click.echo(_t("{code} still holds {open_cases} open case(s); until they are handed over, their reminders go to "
                      "the park's supervisors: hand them over with `unionflow assign CADRE --from {code}`").format(**result))


@cadre_group.command("activate")
@click.argument("code")
@json_option
@pass_state
def cadre_activate(state, code, as_json):
    """Activate a deactivated cadre again (admins). Example: unionflow --as A01 cadre activate C01"""
    from workflow.people import set_active

    result = set_active(state.ctx, code, active=True)
    if as_json:
        echo_json(result)
    else:
        click.echo((_t("Cadre {code} is active again.") if result["changed"] else _t("Cadre {code} was already active."))
                   .format(**result))


@cadre_group.command("list")
@limit_option
@json_option
@pass_state
def cadre_list(state, limit, as_json):
    """List cadres with their role, park and supervisor. Example: unionflow cadre list --json"""
    from workflow.people import list_cadres

    render(as_json, list_cadres(state.ctx, limit=rows_limit(limit, as_json)))


# --------------------------------------------------------------------------------------------- cases
# The table's columns (the id is a REF too; --json has every field, the USCC and the mode among them).
CASE_COLUMNS = ["id", "enterprise", "park", "status", "cadre", "status_since", "next_action_on"]


@group(main, "case")
def case_group():
    """Founding cases: list, show, history, and the steps of the founding procedure."""


@case_group.command("list")
@click.option("--mine", is_flag=True, help="Only the cases you (--as) are responsible for.")
@click.option("--status", type=CaseStatus(), help="Only cases in this status (or its Chinese name, e.g. 已对接).")
@click.option("--cadre", metavar="CODE", help="Only this cadre's cases.")
@click.option("--park", metavar="CODE", help="Only this park's cases.")
@click.option("--stalled", is_flag=True, help="Only stalled cases, with working days in status and the level reached.")
@as_of_option
@limit_option
@json_option
@pass_state
def case_list(state, mine, status, cadre, park, stalled, as_of, limit, as_json):
    """List cases: the first 100 in a table (a last line says how many more), all with --json.

    \b
    Examples:
      unionflow --as C01 case list --mine --status contacted
      unionflow case list --park SJ --limit 0 > cases.txt
    """
    limit = rows_limit(limit, as_json)
    if stalled:
        from workflow.sweep import stalled_cases

        rows = stalled_cases(state.ctx, as_of=as_of, mine=mine, status=status, cadre=cadre, park=park, limit=limit)
        render(as_json, rows, columns=["id", "enterprise", "status", "cadre", "working_days", "allowed", "level"])
        return
    if as_of:
        raise click.UsageError(_t("--as-of goes with --stalled"))
    from workflow.cases import list_cases

    render(as_json, list_cases(state.ctx, mine=mine, status=status, cadre=cadre, park=park, limit=limit),
           columns=CASE_COLUMNS)


@case_group.command("show")
@click.argument("ref", type=REF)
@json_option
@pass_state
def case_show(state, ref, as_json):
    """Show a case (REF is a case id or a USCC), with the recommended founding mode and allowed actions.

    \b
    Examples:
      unionflow case show 91310117MA1000009T
      unionflow case show 12 --json
    """
    from workflow.cases import show

    render(as_json, show(state.ctx, ref))


@case_group.command("history")
@click.argument("ref", type=REF)
@json_option
@pass_state
def case_history(state, ref, as_json):
    """The case's timeline: transitions, activities, assignments, escalations, resolutions.

    \b
    Example: unionflow case history 91310117MA1000009T --json
    """
    from workflow.cases import history

    rows = history(state.ctx, ref)
    if not as_json:  # the table says the status an event moved the case to (--json: from_status, to_status)
        rows = [{**r, "to_status": r["to_status"] if r["to_status"] != r["from_status"] else None} for r in rows]
    render(as_json, rows, columns=["occurred_on", "kind", "event", "to_status", "actor", "note"],
           values={"kind": "event kind"})


def _step(state, ref, event, as_json, **facts):
    from workflow.cases import transition

    result = transition(state.ctx, ref, event, **facts)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("Case {id} ({enterprise}) is now {status} since {since}.").format(
            id=result["id"], enterprise=result["enterprise"], status=_coded("status", result["status"]),
            since=result["status_since"]))
    _warn(result["warnings"])


@case_group.command("contact")
@click.argument("ref", type=REF)
@on_option
@click.option("--person", help="The employer's contact person you met.")
@note_option
@json_option
@pass_state
def case_contact(state, ref, on, person, note, as_json):
    """prospect → contacted: you have met the employer.

    \b
    Example:
      unionflow --as C01 case contact 91310117MA1000009T --on 2026-03-02 --person 王经理
    """
    _step(state, ref, "contact", as_json, on=on, person=person, note=note)


@case_group.command("prepare")
@click.argument("ref", type=REF)
@click.option("--mode", required=True, type=click.Choice(["standalone", "joint"]),
              help="Founding path: standalone (单独建会) or joint (联合建会, through a joint union).")
@on_option
@click.option("--group-leader", help="Leader of the preparatory group (standalone).")
@click.option("--applied-on", type=DATE, help="Day the application went to the higher union (standalone).")
@click.option("--joint-union", metavar="CODE",
              help="The joint union the enterprise will join (joint): one of its park, or of a park above it.")
@note_option
@json_option
@pass_state
def case_prepare(state, ref, mode, on, group_leader, applied_on, joint_union, note, as_json):
    """contacted → preparatory: founding path chosen, preparatory group formed and application filed.

    \b
    Examples:
      unionflow case prepare 91310117MA1000009T --on 2026-03-20 --mode standalone --group-leader 李强 \\
          --applied-on 2026-03-18
      unionflow case prepare 91310117MA1000017M --on 2026-03-25 --mode joint --joint-union JU-G01
    """
    _step(state, ref, "prepare", as_json, on=on, mode=mode, group_leader=group_leader, applied_on=applied_on,
          joint_union=joint_union, note=note)


@case_group.command("found")
@click.argument("ref", type=REF)
@on_option
@click.option("--congress-on", type=DATE, help="Day of the member assembly / election.")
@click.option("--approval-ref", help="Approval reference of the higher union (批复文号), e.g. 松总工〔2018〕12号.")
@click.option("--chair", help="The elected chair.")
@click.option("--members", type=COUNT, metavar="N", help="Number of union members (at most the employees).")
@note_option
@json_option
@pass_state
def case_found(state, ref, on, congress_on, approval_ref, chair, members, note, as_json):
    """preparatory → founded: election held and approved (or joined a founded joint union).

    \b
    Example:
      unionflow case found 91310117MA1000009T --on 2026-05-15 --congress-on 2026-05-12 \\
          --approval-ref 松总工〔2026〕12号 --chair 陈静 --members 96
    """
    _step(state, ref, "found", as_json, on=on, congress_on=congress_on, approval_ref=approval_ref, chair=chair,
          members=members, note=note)


@case_group.command("activate")
@click.argument("ref", type=REF)
@on_option
@click.option("--legal-cert", help="Reference of the union's legal-person certificate.")
@note_option
@json_option
@pass_state
def case_activate(state, ref, on, legal_cert, note, as_json):
    """founded → active: legal-person certificate obtained (standalone) or covered and running (joint).

    \b
    Examples:
      unionflow case activate 91310117MA1000009T --on 2026-06-10 --legal-cert 沪工法字00123号
      unionflow case activate 91310117MA1000017M --note "联合工会覆盖运行"
    """
    _step(state, ref, "activate", as_json, on=on, legal_cert=legal_cert, note=note)


@case_group.command("setback")
@click.argument("ref", type=REF)
@click.option("--reason", required=True, help="Why the case goes one step back.")
@on_option
@json_option
@pass_state
def case_setback(state, ref, reason, on, as_json):
    """One step back, with a reason (e.g. the preparatory group fell apart).

    The case gives up the facts of the status it leaves (the timeline keeps them), and the next step
    asks for them anew: back from active, the legal-person certificate; from founded, the assembly,
    approval and chair; from preparatory, the founding mode, joint union, group leader and application.

    \b
    Example: unionflow case setback 91310117MA1000009T --reason "筹备组组长离职"
    """
    _step(state, ref, "setback", as_json, on=on, reason=reason)


@case_group.command("close")
@click.argument("ref", type=REF)
@click.option("--reason", required=True, type=click.Choice(["deregistered", "moved_out", "merged", "out_of_scope"]),
              help="Why the enterprise leaves: deregistered, moved out, merged, or out of scope.")
@on_option
@note_option
@json_option
@pass_state
def case_close(state, ref, reason, on, note, as_json):
    """Close a case (admins): the enterprise leaves the denominator of the founding rate.

    \b
    Example: unionflow --as A01 case close 91310117MA1000025G --reason moved_out --note "迁往青浦"
    """
    _step(state, ref, "close", as_json, on=on, reason=reason, note=note)


@case_group.command("reopen")
@click.argument("ref", type=REF)
@on_option
@note_option
@json_option
@pass_state
def case_reopen(state, ref, on, note, as_json):
    """Reopen a closed case (admins): it returns to the status it had when closed.

    \b
    Example: unionflow --as A01 case reopen 91310117MA1000025G --note "企业迁回园区"
    """
    _step(state, ref, "reopen", as_json, on=on, note=note)


@case_group.command("log")
@click.argument("ref", type=REF)
@click.option("--kind", required=True, type=click.Choice(["visit", "call", "meeting", "other"]),
              help="What kind of contact it was.")
@click.option("--note", required=True, help="What happened.")
@on_option
@click.option("--next-action", type=DATE, help="Your next follow-up day; the sweep reminds you when it is due.")
@json_option
@pass_state
def case_log(state, ref, kind, note, on, next_action, as_json):
    """Log a visit, call or meeting (does not restart the stall clock).

    \b
    Examples:
      unionflow case log 91310117MA1000009T --on 2026-03-16 --kind visit --note "老板出差，下周再约"
      unionflow case log 91310117MA1000009T --kind call --note "约定下周面谈" --next-action 2027-03-08
    """
    from workflow.cases import log_activity

    result = log_activity(state.ctx, ref, kind=kind, note=note, on=on, next_action=next_action)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("Logged {kind} on case {id} ({enterprise}).").format(
            kind=_coded("event", kind), id=result["id"], enterprise=result["enterprise"]))


# --------------------------------------------------------------------------------------------- states
@group(main, "states")
def states_group():
    """The founding state machine."""


@states_group.command("diagram")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True,
              help="Mermaid (for Markdown) or Graphviz dot.")
def states_diagram(fmt):
    """Print the state diagram, generated from the machine's definition.

    \b
    Examples:
      unionflow states diagram > states.mmd
      unionflow states diagram --format dot | dot -Tsvg > states.svg
    """
    from states.machine import diagram

    click.echo(diagram(fmt), nl=False)


# --------------------------------------------------------------------------------------------- registry and assignment
@group(main, "enterprise")
def enterprise_group():
    """The enterprise registry (企业名录): import, list, show."""


class _ImportProgress:
    """A rich progress bar on stderr while a large file is read in a terminal; silent otherwise."""

    def __init__(self, file):
        self.file, self.bar, self.callback = file, None, None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from workflow.registry import estimate_rows

        total = estimate_rows(self.file)
        if not total or total < 2000:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task(_t("Checking {file}").format(file=os.path.basename(self.file)), total=total)
        return lambda done: self.bar.update(task, completed=done)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


@enterprise_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--park", metavar="CODE",
              help="Park of the new enterprises whose 所属园区/park cell is empty (never moves an existing one).")
@click.option("--dry-run", is_flag=True, help="Check the file and count what would change; write nothing.")
@json_option
@pass_state
def enterprise_import(state, file, park, dry_run, as_json):
    """Import or update enterprises from a .csv (UTF-8, UTF-8 BOM, GB18030) or .xlsx file (admins).

    \b
    Headers in Chinese or English; 统一社会信用代码/uscc is required, and a new enterprise needs
    企业名称/name and a park (所属园区/park, or --park). The other columns:
      行业/industry 职工人数/employees 是否双实/shuangshi 网格/grid 来源/source
      成立日期/opened_on 工会会员数/members 建会状态/status 状态日期/status_since
      联系人/contact_name 联系电话/contact_phone
    Other columns are ignored (with a warning naming them).
    Any error: each is listed as `row N, column C: message` and nothing is written.
    A new enterprise gets a prospect case, or the historic 建会状态/status since 状态日期/status_since.
    Re-importing updates by USCC; empty cells keep stored values. A filled 所属园区/park that differs
    moves the enterprise: written on its case's timeline, and a cadre of the old park no longer holds
    the case. For an existing enterprise a different status or status day is reported, never applied:
    cases move only by the case commands.

    \b
    Example:
      unionflow --as A01 enterprise import registry.xlsx --park SJ --dry-run
    """
    from workflow.errors import ImportFailed
    from workflow.registry import import_registry

    try:
        with _ImportProgress(file) as progress:
            result = import_registry(state.ctx, file, park=park, dry_run=dry_run, progress=progress)
    except ImportFailed as exc:
        errors = [{"row": e.row, "column": e.column, "message": e.message, "field": e.field or e.column}
                  for e in exc.errors]
        if as_json:
            echo_json({"file": os.path.basename(file), "dry_run": dry_run, "created": 0, "updated": 0,
                       "unchanged": 0, "errors": errors, "message": str(exc)})
        for e in errors:
            said = _t("row {row}, column {column}: {message}") if e["column"] else _t("row {row}: {message}")
            click.echo(said.format(**e), err=True)
        raise click.ClickException(str(exc)) from exc
    if as_json:  # the warnings are in the JSON: stderr is for errors
        echo_json(result)
        return
    _import_warnings(result, dry_run)
    if dry_run:
        click.echo(_t("Dry run, nothing written: {file} has {rows} rows: {created} to create, {updated} to update, "
                      "{unchanged} unchanged.").format(**result))
        if result["moved"]:
            click.echo(_t("{moved} would move to another park.").format(**result))
    else:
        click.echo(_t("Imported {file}: {created} created, {updated} updated, {unchanged} unchanged.").format(**result))
        if result["moved"]:
            click.echo(_t("{moved} moved to another park (see their case history).").format(**result))


IMPORT_EXAMPLES = 3  # status differences listed one by one; more are summed up (--json lists up to 1,000)


def _import_warnings(result: dict, dry_run: bool) -> None:
    """The import's warnings on stderr, summed up: a count and the first few examples, not a line per row."""
    # "Warning:" stays English in every language, like "Error:" (scripts look for it).
    if result["ignored_columns"]:
        click.echo("Warning: " + _t("columns not known, ignored: {columns}").format(
            columns=_t(", ").join(result["ignored_columns"])), err=True)
    if result["unheaded_values"]:
        click.echo("Warning: " + _t("{rows} row(s) have values in columns without a header, ignored (the first: row "
                                    "{first_row})").format(**result["unheaded_values"]), err=True)
    total = result["status_conflicts_total"]
    if total > IMPORT_EXAMPLES:
        click.echo("Warning: " + _t("{n} rows give a status or status day that differs from their case's; not changed "
                                    "(use the case commands). The first {k}:").format(n=total, k=IMPORT_EXAMPLES),
                   err=True)
    for c in result["status_conflicts"][:IMPORT_EXAMPLES]:
        said = (_t("row {row} ({uscc}): the file says {file_status} since {file_since} but case {case_id} is "
                   "{case_status} since {case_since}") if c["file_status_since"]
                else _t("row {row} ({uscc}): the file says {file_status} but case {case_id} is {case_status}"))
        said = said.format(
            row=c["row"], uscc=c["uscc"], case_id=c["case_id"], file_status=_coded("status", c["file_status"]),
            case_status=_coded("status", c["case_status"]), file_since=c["file_status_since"],
            case_since=c["case_status_since"])
        click.echo("  " + said if total > IMPORT_EXAMPLES else
                   "Warning: " + _t("{difference}; not changed (use the case commands)").format(difference=said),
                   err=True)
    if total > IMPORT_EXAMPLES:
        click.echo("  " + _t("… {n} more (--json lists the first {listed})").format(
            n=total - IMPORT_EXAMPLES, listed=len(result["status_conflicts"])), err=True)
    if result["released"]:
        said = (_t("{released} of the cases moving park would lose their cadre of the old park") if dry_run else
                _t("{released} of the moved cases had a cadre of the old park and are now unassigned: assign them "
                   "with `unionflow assign CADRE --park CODE --only-unassigned`"))
        click.echo("Warning: " + said.format(**result), err=True)


@enterprise_group.command("list")
@click.option("--park", metavar="CODE", help="Only this park's enterprises.")
@click.option("--status", type=CaseStatus(),
              help="Only enterprises whose case has this status (or its Chinese name, e.g. 已对接).")
@limit_option
@json_option
@pass_state
def enterprise_list(state, park, status, limit, as_json):
    """List enterprises with their case status and cadre: the first 100 in a table, all with --json.

    \b
    Examples:
      unionflow enterprise list --park SJ --status prospect
      unionflow enterprise list --limit 0 > enterprises.txt
    """
    from workflow.enterprises import list_enterprises

    render(as_json, list_enterprises(state.ctx, park=park, status=status, limit=rows_limit(limit, as_json)),
           columns=["uscc", "name", "park", "industry", "employees", "status", "cadre"])


@enterprise_group.command("show")
@click.argument("uscc")
@json_option
@pass_state
def enterprise_show(state, uscc, as_json):
    """Show an enterprise's registry profile and its founding case. Example: enterprise show 91310117MA1000009T"""
    from workflow.enterprises import show_enterprise

    data = show_enterprise(state.ctx, uscc)
    if as_json:
        echo_json(data)
        return
    case = data.pop("case")
    show_record({**data, **{k: short_time(state.ctx, data[k]) for k in ("created_at", "updated_at")}})
    click.echo()
    click.echo(_t("Founding case:") if case else _t("Founding case: none"))
    if case:
        show_record(case)


@main.command("assign")
@click.argument("cadre")
@click.argument("usccs", nargs=-1, metavar="[USCC]...")
@click.option("--park", metavar="CODE", help="The cases of this park.")
@click.option("--grid", metavar="G", help="The cases of this grid (网格).")
@click.option("--industry", metavar="I", help="The cases of this industry.")
@click.option("--from", "from_cadre", metavar="CODE",
              help="The cases of this cadre (a hand-over, e.g. of a cadre who leaves).")
@click.option("--only-unassigned", is_flag=True, help="Leave cases that already have a cadre alone.")
@json_option
@pass_state
def assign_cases(state, cadre, usccs, park, grid, industry, from_cadre, only_unassigned, as_json):
    """Make CADRE responsible for cases (包干责任制), chosen by USCC, park, grid, industry or previous cadre.

    Selectors combine (AND); a selection by park, grid, industry or --from leaves closed cases out.
    Every change of hands is an `assignment` event on the case timeline: from, to, by whom, when.
    Admins assign anywhere; a supervisor assigns the cases of their park to its cadres.

    \b
    Examples:
      unionflow --as A01 assign C01 91310117MA1000009T
      unionflow --as S01 assign C02 --park SJ --grid 网格3 --only-unassigned
      unionflow --as A01 assign C02 --from C01       all of C01's open cases to C02
    """
    if not (usccs or park or grid or industry or from_cadre):
        raise click.UsageError(_t("say which cases to assign: give USCCs, --park, --grid, --industry or --from"))
    from workflow.assignment import assign

    result = assign(state.ctx, cadre, usccs, park=park, grid=grid, industry=industry, only_unassigned=only_unassigned,
                    from_cadre=from_cadre)
    if as_json:
        echo_json(result)
    elif not result["cases"]:
        click.echo(_t("All {matched} matching cases already have a cadre (--only-unassigned): none assigned to "
                      "{cadre}.").format(**result))
    else:
        click.echo(_t("{assigned} of {cases} cases assigned to {cadre}; {unchanged} were already theirs.").format(
            **result))


# --------------------------------------------------------------------------------------------- outbox
@group(main, "outbox")
def outbox_group():
    """Outgoing emails: reminders, escalations, digests and agenda packets."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice(["queued", "sending", "sent", "failed"]), help="Only messages in this state.")
@limit_option
@json_option
@pass_state
def outbox_list(state, status, limit, as_json):
    """List the outbox, newest first: the first 100 in a table, all with --json.

    \b
    Examples:
      unionflow outbox list --status failed
      unionflow outbox list --limit 0
    """
    from workflow.db import Rows
    from workflow.mailing import list_outbox

    rows = list_outbox(state.ctx, status, rows_limit(limit, as_json))
    columns = ["id", "status", "kind", "to", "subject", "sent_at", "error"]
    if not as_json:  # local minutes, not ISO instants; --json has every field (attempts, next_attempt_at …)
        rows = Rows([{**r, "sent_at": short_time(state.ctx, r["sent_at"]), "error": r["last_error"],
                      "claim": r["claimed_by"] and f"{r['claimed_by']} {short_time(state.ctx, r['claimed_at'])}"}
                     for r in rows], rows.total)
        if any(r["claim"] for r in rows):  # who is sending them, since when (a sender renews it while it works)
            columns.insert(-1, "claim")
    render(as_json, rows, columns=columns, values={"status": "outbox status", "kind": "mail kind"})


@outbox_group.command("send")
@click.option("--limit", type=LIMIT, help="Send at most this many (default: all that are due).")
@json_option
@pass_state
def outbox_send(state, limit, as_json):
    """Send the due messages through the [mail] transport (the scheduler does this every minute).

    A refused message is retried later with exponential backoff; after [mail] max_attempts it is
    marked failed with the last error (`outbox retry` puts it back). While the mail server cannot be
    reached, nothing counts as an attempt: the messages stay queued and the command exits with 1.
    Safe to run in several processes at once. SIGTERM or Ctrl-C stops it between two messages: the one
    being sent is finished and recorded, the others go back to the queue.

    \b
    Example:
      unionflow outbox send --limit 500
    """
    from workflow.mailing import run_outbox
    from workflow.stopping import stop_on_signals

    with stop_on_signals() as stop:
        result = run_outbox(state.ctx, limit=limit, stop=stop)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("Sent {sent}, {retried} to retry later, {failed} failed (transport: {transport}).").format(**result))
    if result["stopped"]:
        click.echo(_t("Stopped on request: {released} claimed message(s) went back to the queue for the next run.")
                   .format(released=result["released"]), err=True)
    if not as_json:
        for err in result["errors"]:
            click.echo("  " + _t("{key} (attempt {attempts}): {error}").format(**err), err=True)
        if result["queued"] and not result["unreachable"]:
            click.echo(_t("{queued} message(s) wait for a later try, the first at {at}.").format(
                queued=result["queued"], at=short_time(state.ctx, result["next_attempt_at"])))
    if result["unreachable"]:
        said = (_t("the mail folder cannot be written ({error}): {queued} message(s) stay queued and go out when it "
                   "can; check [mail] dir") if result["transport"] == "file" else
                _t("the mail server cannot be reached ({error}): {queued} message(s) stay queued and go out when it "
                   "is back; check the server or [mail.smtp] in the configuration"))
        raise click.ClickException(said.format(error=result["unreachable"], queued=result["queued"]))


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(min=1), metavar="[ID]...")
@click.option("--all-failed", is_flag=True, help="Every failed message.")
@json_option
@pass_state
def outbox_retry(state, ids, all_failed, as_json):
    """Put failed messages back in the queue (admins), with their attempts reset; `outbox send` or the
    scheduler sends them. Sent messages are never sent again.

    \b
    Examples:
      unionflow --as A01 outbox retry 12 15
      unionflow --as A01 outbox retry --all-failed
    """
    if bool(ids) == all_failed:
        raise click.UsageError(_t("give the ids of failed messages or --all-failed (not both)"))
    from workflow.mailing import retry_outbox

    result = retry_outbox(state.ctx, ids, all_failed=all_failed)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("{n} message(s) back in the queue.").format(n=result["requeued"]))


# --------------------------------------------------------------------------------------------- stall clocks, escalation, scheduler
ESCALATION_COLUMNS = ["case_id", "enterprise", "cadre", "level", "status", "working_days", "allowed"]  # --json: all


def _warn(warnings) -> None:
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)  # "Warning:" stays English, like "Error:"


@main.command()
@as_of_option
@click.option("--dry-run", is_flag=True, help="Show what would fire; write nothing.")
@json_option
@pass_state
def escalate(state, as_of, dry_run, as_json):
    """Run the escalation sweep: remind, overdue, joint meeting — each once per stall episode.

    \b
    Working days in status are counted in Chinese working days; a level fires at its share of the
    status's allowance ([allowances], [ladder] in the config). Due follow-ups (--next-action) remind too.
    Meeting-level cases go on the agenda of their park's next planned joint meeting.
    Examples:
      unionflow --as A01 escalate
      unionflow escalate --as-of 2026-07-01 --dry-run --json
    """
    from workflow.sweep import run_sweep

    result = run_sweep(state.ctx, as_of=as_of, dry_run=dry_run)
    if as_json:
        echo_json(result)
    else:
        table(result["escalations"], ESCALATION_COLUMNS)
        counts = _t(", ").join(f"{_coded('level', lv)} {n}" for lv, n in result["counts"].items() if n)
        summary = (_t("As of {as_of}: {n} escalation(s) would fire{counts}; {emails} email(s) queued; {agenda} put on "
                      "a meeting agenda; {pending} waiting for a meeting.") if dry_run else
                   _t("As of {as_of}: {n} escalation(s) fired{counts}; {emails} email(s) queued; {agenda} put on a "
                      "meeting agenda; {pending} waiting for a meeting."))
        click.echo(summary.format(as_of=result["as_of"], n=len(result["escalations"]),
                                  counts=_t(" ({counts})").format(counts=counts) if counts else "",
                                  emails=result["emails_queued"], agenda=result["agenda_items"],
                                  pending=result["pending_meetings"])
                   + (_t(" Dry run: nothing written.") if dry_run else ""))
    _warn(result["warnings"])


@group(main, "calendar")
def calendar_group():
    """The Chinese working-day calendar of the stall clocks: official schedules, park days off."""


@calendar_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--park", metavar="CODE", help="The file lists this park's extra days off (or set park = \"CODE\" in it).")
@json_option
@pass_state
def calendar_load(state, file, park, as_json):
    """Load a year's holidays and make-up working days (admins); they take precedence.

    \b
    FILE is TOML (year = 2027, holidays = ["2027-02-05..2027-02-13", ...], workdays = ["2027-02-14"])
    or CSV (date,kind or 日期,类型; kind holiday/workday or 休/班). Loading a year again replaces it;
    `calendar unload YEAR` takes it out. A make-up working day must be a Saturday or Sunday.
    Examples:
      unionflow --as A01 calendar load holidays-2027.toml
      unionflow --as A01 calendar load sj-days-off.toml --park SJ
    """
    from workflow.calendar_store import load_schedule

    result = load_schedule(state.ctx, file, park=park)
    if as_json:
        echo_json(result)
    else:
        replaced = _t(" (replaced {n} earlier)").format(n=result["replaced"]) if result["replaced"] else ""
        click.echo(_t("Loaded {description}: {holidays} day(s) off, {workdays} working day(s){replaced}.").format(
            description=result["description"], holidays=result["holidays"], workdays=result["workdays"],
            replaced=replaced))


@calendar_group.command("unload")
@click.argument("year", type=WholeNumber(2004, 2035))
@click.option("--park", metavar="CODE", help="Take out this park's extra days off of the year instead.")
@json_option
@pass_state
def calendar_unload(state, year, park, as_json):
    """Take a loaded year's schedule back out (admins): the year counts as before it was loaded.

    \b
    Examples:
      unionflow --as A01 calendar unload 2027
      unionflow --as A01 calendar unload 2026 --park SJ
    """
    from workflow.calendar_store import unload_schedule

    result = unload_schedule(state.ctx, year, park=park)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("Unloaded {n} day(s) of {year} ({sources}).").format(
            n=result["removed"], year=year, sources="; ".join(result["sources"])))


@calendar_group.command("show")
@click.option("--year", type=WholeNumber(2004, 2035), metavar="YEAR", help="The year (default this year).")
@click.option("--park", metavar="CODE", help="With this park's extra days off.")
@json_option
@pass_state
def calendar_show(state, year, park, as_json):
    """Show a year's holidays and make-up working days, and where they come from.

    \b
    Example: unionflow calendar show --year 2026
    """
    from workflow.calendar_store import show_calendar

    result = show_calendar(state.ctx, year=year, park=park)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("{year}{park}: {coverage}, {workdays} working days").format(
            year=result["year"], park=_t(" (park {park})").format(park=park) if park else "",
            coverage=_coded("day source", result["coverage"]), workdays=result["workdays"]))
        table(result["days"], ["day", "weekday", "kind", "source"], values={"kind": "day kind", "source": "day source"})
    _warn(result["warnings"])


@group(main, "scheduler")
def scheduler_group():
    """The scheduler daemon: daily sweep, outbox flush, meeting packets."""


@scheduler_group.command("run")
@click.option("--once", is_flag=True, help="Run what is due now and exit (e.g. from cron).")
@pass_state
def scheduler_run(state, once):
    """Run the scheduler (Asia/Shanghai): the sweep at [scheduler] sweep_at on working days, the outbox
    every minute, meeting packets. One daemon per database leads (a lock); others wait and take over.
    With --once it exits with 1 when a job failed or left work undone (mail server out of reach).

    \b
    Logs go to stderr. SIGTERM stops it cleanly. Examples:
      unionflow scheduler run
      unionflow scheduler run --once
    """
    from workflow.scheduler import configure_logging, run_scheduler

    configure_logging(state.ctx, os.environ.get("UNIONFLOW_LOG_LEVEL", "INFO"))
    result = run_scheduler(state.ctx, once=once)
    if result and result["failed"]:
        raise click.ClickException(_t("not everything that was due was done: {jobs} (see the log above)").format(
            jobs=", ".join(result["failed"])))


# --------------------------------------------------------------------------------------------- coverage: joint unions, targets, reports, sign-ups
@group(main, "joint-union")
def joint_union_group():
    """Joint unions (联合工会): grid, industry-cluster and park-within-park unions."""


@joint_union_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["grid", "cluster", "park_in_park"]),
              help="Grid union (网格), industry-cluster union or park-within-park union (园中园).")
@click.option("--park", required=True, metavar="CODE", help="The park the joint union belongs to.")
@pass_state
def joint_union_add(state, code, name, kind, park):
    """Add a joint union (admins, or a supervisor of the park).

    \b
    Example:
      unionflow --as S01 joint-union add JU-G01 松江经开区第一网格联合工会 --kind grid --park SJ
    Cases join it with `case prepare REF --mode joint --joint-union JU-G01`.
    """
    from workflow.joint_unions import add_joint_union

    added = add_joint_union(state.ctx, code, name, kind, park)
    click.echo(_t("Joint union {code} ({kind}) added to park {park}.").format(
        code=added["code"], kind=_coded("joint kind", kind), park=park))


@joint_union_group.command("found")
@click.argument("code")
@click.option("--approval-ref", required=True, help="The higher union's approval reference (批复文号).")
@on_option
@json_option
@pass_state
def joint_union_found(state, code, approval_ref, on, as_json):
    """Record a joint union's founding; every attached preparatory case becomes founded with it.

    \b
    Example:
      unionflow --as S01 joint-union found JU-G01 --approval-ref 松总工〔2018〕31号 --on 2018-09-20
    A case attached later can then be founded directly with `case found REF`.
    """
    from workflow.joint_unions import found_joint_union

    result = found_joint_union(state.ctx, code, approval_ref, on=on)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("Joint union {code} founded on {day}; {n} attached case(s) now founded.").format(
            code=code, day=result["founded_on"], n=result["cases_founded"]))


@joint_union_group.command("list")
@json_option
@pass_state
def joint_union_list(state, as_json):
    """List joint unions with their attached cases and how many are covered (founded or active).

    \b
    Example: unionflow joint-union list --json
    """
    from workflow.joint_unions import list_joint_unions

    render(as_json, list_joint_unions(state.ctx),
           columns=["code", "name", "kind", "park", "founded_on", "cases", "covered"],  # --json: approval_ref too
           values={"kind": "joint kind"})


@group(main, "target")
def target_group():
    """Founding-rate targets, for example ≥70% by the end of the year."""


@target_group.command("set")
@click.argument("rate")
@click.option("--by", "by", required=True, type=DATE, help="The day the rate is due (today or later).")
@click.option("--park", metavar="CODE", help="The park's own target (default: the whole federation).")
@click.option("--basis", type=click.Choice(["all", "shuangshi"]), default="all", show_default=True,
              help="All enterprises, or only 双实 ones.")
@json_option
@pass_state
def target_set(state, rate, by, park, basis, as_json):
    """Set a target (admins). RATE is a fraction or a percentage; setting it again changes it.

    \b
    Examples:
      unionflow --as A01 target set 70% --by 2027-12-31 --park SJ
      unionflow --as A01 target set 0.8 --by 2028-12-31 --basis shuangshi
    """
    from workflow.targets import set_target

    result = set_target(state.ctx, rate, by, park=park, basis=basis)
    if as_json:
        echo_json(result)
    else:
        said = (_t("Target {id} set: {rate:.1%} by {by} ({park}, basis {basis}).") if result["created"] else
                _t("Target {id} changed: {rate:.1%} by {by} ({park}, basis {basis})."))
        click.echo(said.format(id=result["id"], rate=result["rate"], by=result["by"],
                               park=result["park"] or _t("all parks"), basis=_coded("basis", basis)))


@target_group.command("list")
@json_option
@pass_state
def target_list(state, as_json):
    """List the founding-rate targets; `report targets` shows how far each one is.

    \b
    Example:
      unionflow target list --json
    """
    from workflow.targets import list_targets

    rows = list_targets(state.ctx)
    if not as_json:
        rows = [{**r, "rate": f"{r['rate']:.1%}", "park": r["park"] or _t("(all)")} for r in rows]
    render(as_json, rows, columns=["id", "park", "rate", "by", "basis"])


@group(main, "report")
def report_group():
    """Coverage reports: founding and membership rates, targets, the cadres' ledger, funnel, incentives.

    \b
    Each prints a table, or writes CSV, JSON or XLSX (coverage also HTML) with --format and --out.
    Examples:
      unionflow report coverage --by park
      unionflow report targets --as-of 2018-09-30
      unionflow report cadres --format xlsx --out ledger.xlsx
    """


def _report_options(formats):
    """--as-of, --park, --format, --out, --json; their combinations are checked before the report is computed."""
    def wrap(f):
        @functools.wraps(f)
        def checked(*args, fmt, out, as_json, **kw):
            if as_json and fmt not in ("table", "json"):
                raise click.UsageError(_t("--json and --format {format} disagree: give one of them").format(format=fmt))
            if fmt == "xlsx" and not out:
                raise click.UsageError(_t("--format xlsx needs --out PATH"))
            if fmt == "table" and out and not as_json:
                raise click.UsageError(_t("--out goes with --format csv, json, xlsx or html"))
            return f(*args, fmt=fmt, out=out, as_json=as_json, **kw)

        for deco in reversed([
            as_of_option,
            click.option("--park", metavar="CODE", help="Only this park (and its sub-parks)."),
            click.option("--format", "fmt", type=click.Choice(formats), default="table", show_default=True,
                         help="A table on the terminal, or a file format."),
            out_option("Write to this file (needed for xlsx)."),
            json_option,
        ]):
            checked = deco(checked)
        return checked
    return wrap


def _report_table(headers, rows, numeric, title):
    """Like `table`, but numbers stay on one line, right-aligned."""
    if not rows:
        click.echo(_t("{title}: (none)").format(title=title))
        return
    cells = [["" if r.get(h) is None else str(r.get(h)) for h in headers] for r in rows]
    # Names give way (cut with …): the columns holding text with spaces or Chinese, not codes, dates or numbers.
    elastic = {i for i, h in enumerate(headers) if h not in numeric
               and any(" " in row[i] or not row[i].isascii() for row in cells)}
    print_table(headers, cells, title=title, elastic=elastic, right={i for i, h in enumerate(headers) if h in numeric})


def _emit_report(state, kind, data, fmt, out, as_json):
    """Render a report as a table, JSON, CSV, XLSX or HTML, to stdout or --out."""
    from workflow import exports

    fmt = "json" if as_json else fmt  # the combinations were checked by `_report_options`
    lang = state.ctx.lang  # files are documents: [general] lang unless --lang/UNIONFLOW_LANG say otherwise
    if fmt == "table":
        from templates.i18n import active_lang

        lang = active_lang()  # the terminal speaks the command's language
        for sheet in exports.sheets_for(kind, data, lang):
            _report_table(*exports.terminal_table(sheet, lang), title=sheet.title)
        return
    if fmt == "xlsx":
        with output_file(out) as tmp:
            exports.write_xlsx(tmp, exports.sheets_for(kind, data, lang), lang)
        click.echo(_t("Wrote {path}.").format(path=out))
        return
    if fmt == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    elif fmt == "html":
        text = exports.coverage_html(data, lang, generated=f"unionflow · {state.ctx.clock.today().isoformat()}")
    else:
        text = exports.csv_text(exports.sheets_for(kind, data, lang), lang)
    if out:
        write_output(out, text)
        click.echo(_t("Wrote {path}.").format(path=out))
    else:
        click.echo(text, nl=False)


@report_group.command("coverage")
@click.option("--by", "by", type=click.Choice(["park", "industry", "cadre", "grid", "mode"]), help="One row per group.")
@click.option("--basis", type=click.Choice(["all", "shuangshi"]), default="all", show_default=True,
              help="All enterprises, or only 双实 ones.")
@click.option("--monthly", is_flag=True, help="The rate at each month end from --from to --to (a trend).")
@click.option("--from", "from_", type=DATE, help="First month of --monthly.")
@click.option("--to", type=DATE, help="Last month of --monthly.")
@_report_options(["table", "csv", "json", "xlsx", "html"])
@pass_state
def report_coverage(state, by, basis, monthly, from_, to, as_of, park, fmt, out, as_json):
    """Founding rate (建会率) and membership rate (入会率), now, on a past day, or month by month.

    \b
    Founding rate = founded or active ÷ not closed (joint-union members count as founded).
    --as-of reconstructs every case's status, cadre, founding mode and members on that day from its history.
    Examples:
      unionflow report coverage --by park
      unionflow report coverage --as-of 2018-06-30 --basis shuangshi --json
      unionflow report coverage --monthly --from 2018-01-01 --to 2018-12-31 --format html --out trend.html
      unionflow --lang zh report coverage --by cadre --format xlsx --out 建会率.xlsx
    CSV is UTF-8 with a BOM; rates are fractions (0–1) in CSV, JSON and XLSX.
    """
    from workflow.reports import coverage, coverage_monthly

    if monthly and (from_ is None or to is None or as_of is not None):
        raise click.UsageError(_t("--monthly needs --from DATE and --to DATE (and no --as-of)"))
    if not monthly and (from_ or to):
        raise click.UsageError(_t("--from and --to go with --monthly"))
    if monthly:
        data = coverage_monthly(state.ctx, from_, to, by=by, basis=basis, park=park)
    else:
        data = coverage(state.ctx, by=by, as_of=as_of, basis=basis, park=park)
    _emit_report(state, "coverage", data, fmt, out, as_json)


@report_group.command("targets")
@click.option("--sheet", type=click.Choice(["targets", "shares"]),
              help="Only this table: the targets, or the cadres' shares of the gap. A CSV holds one table: the "
                   "targets unless this says shares.")
@_report_options(["table", "csv", "json", "xlsx"])
@pass_state
def report_targets(state, sheet, as_of, park, fmt, out, as_json):
    """Each target: rate now, enterprises still needed, working days left, pace per week, outcome (met,
    missed on its due day, or open), cadres' shares.

    \b
    A cadre's share of the gap is proportional to their open (not yet founded) portfolio.
    --park shows only the park's own targets.
    Examples:
      unionflow report targets --as-of 2018-09-30
      unionflow report targets --sheet shares --format csv --out shares.csv
    """
    from workflow.targets import targets_report

    data = targets_report(state.ctx, as_of=as_of, park=park)
    _emit_report(state, f"targets:{sheet}" if sheet else "targets", data, fmt, out, as_json)


@report_group.command("cadres")
@click.option("--from", "from_", type=DATE, help="Start of the period (default 1 January of the --as-of year).")
@_report_options(["table", "csv", "json", "xlsx"])
@pass_state
def report_cadres(state, from_, as_of, park, fmt, out, as_json):
    """The contract-responsibility ledger (包干责任台账): per cadre, portfolio, cases by status, founded in
    the period, stalled, escalations, and their share of the target gap against what they achieved.

    Founded in the period: cases founded between --from and --as-of that are still founded or active on
    --as-of (a founding set back or closed since then is not counted), credited to the cadre who holds the
    case on --as-of.

    \b
    Example: unionflow report cadres --park SJ --from 2018-07-01 --format xlsx --out ledger.xlsx
    """
    from workflow.ledger import cadres_report

    _emit_report(state, "cadres", cadres_report(state.ctx, as_of=as_of, from_=from_, park=park), fmt, out, as_json)


@report_group.command("funnel")
@_report_options(["table", "csv", "json", "xlsx"])
@pass_state
def report_funnel(state, as_of, park, fmt, out, as_json):
    """Cases by status, and the median working days spent in each status.

    \b
    Example: unionflow report funnel --as-of 2018-12-31
    """
    from workflow.ledger import funnel

    _emit_report(state, "funnel", funnel(state.ctx, as_of=as_of, park=park), fmt, out, as_json)


@report_group.command("incentives")
@click.option("--sheet", type=click.Choice(["eligible", "constraints"]),
              help="Only this list: the eligible enterprises, or those facing constraints. A CSV holds one "
                   "list: the eligible unless this says constraints.")
@_report_options(["table", "csv", "json", "xlsx"])
@pass_state
def report_incentives(state, sheet, as_of, park, fmt, out, as_json):
    """Incentives and constraints (激励约束): who is eligible for the talent-apartment and member-supermarket
    programmes (founded or active), and who faces constraints (25+ employees, no union, stalled or more
    than 6 months after opening).

    \b
    Examples:
      unionflow report incentives --format xlsx --out incentives.xlsx
      unionflow report incentives --sheet constraints --format csv --out constraints.csv
    """
    from workflow.ledger import incentives

    data = incentives(state.ctx, as_of=as_of, park=park)
    _emit_report(state, f"incentives:{sheet}" if sheet else "incentives", data, fmt, out, as_json)


@enterprise_group.command("signups")
@click.argument("uscc")
@click.argument("n", type=WholeNumber(1, MAX_COUNT))
@on_option
@json_option
@pass_state
def enterprise_signups(state, uscc, n, on, as_json):
    """Record N worker sign-ups through the park's channels (counts only, no personal data).

    \b
    An enterprise without a union whose sign-ups reach [general] signup_threshold is flagged
    (`case show` signup_flag).
    Example: unionflow --as C01 enterprise signups 91310117MA1005272U 6 --on 2018-08-02
    """
    from workflow.signups import record_signups

    result = record_signups(state.ctx, uscc, n, on=on)
    if as_json:
        echo_json(result)
    else:
        flag = _t(" Flagged: sign-ups reached the threshold.") if result["signup_flag"] else ""
        click.echo(_t("{n} sign-up(s) recorded for {enterprise}: {total} in all.{flag}").format(
            n=n, enterprise=result["enterprise"], total=result["signups"], flag=flag))


# --------------------------------------------------------------------------------------------- meetings (six-party joint meeting)
# The table's columns (start in local minutes; the title, participants … with --json).
MEETING_COLUMNS = ["id", "park", "starts_at", "place", "status", "items", "resolved"]


@group(main, "meeting")
def meeting_group():
    """The six-party joint meeting (六方建会联席会议): plan, move or cancel, agenda packet, decisions, close.

    \b
    A meeting belongs to a park; its participants are the park's representatives of the six parties
    (`meeting party add`); its agenda holds the park's escalated cases, cases added by hand and the
    unresolved cases of the last meeting.
    """


@meeting_group.command("plan")
@click.option("--on", "on", required=True, type=DATETIME, help="Local date and time (Asia/Shanghai), e.g. 2026-06-18T14:30.")
@click.option("--place", required=True, help="Where the meeting is held.")
@click.option("--title", help="Default: 六方建会联席会议 of the park and the day.")
@click.option("--park", metavar="CODE", help="The park (default: your park).")
@json_option
@pass_state
def meeting_plan(state, on, place, title, park, as_json):
    """Plan a meeting (secretaries, admins): pulls in the park's representatives and pending escalated cases.

    \b
    Example:
      unionflow --as SEC1 meeting plan --on 2026-06-18T14:30 --place 管委会三楼会议室
    """
    from workflow.meetings import plan_meeting

    result = plan_meeting(state.ctx, on=on, place=place, title=title, park=park)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("Meeting {id} planned for {starts_at} at {place}: {participants} participant(s), "
                      "{agenda_items} case(s) on the agenda.").format(
            **{**result, "starts_at": short_time(state.ctx, result["starts_at"])}))
    _warn(result["warnings"])


@meeting_group.command("move")
@click.argument("meeting")
@click.option("--on", "on", required=True, type=DATETIME, help="The new local date and time (Asia/Shanghai), e.g. "
              "2026-06-25T14:30.")
@click.option("--place", help="The new place (default: where it was).")
@json_option
@pass_state
def meeting_move(state, meeting, on, place, as_json):
    """Move a planned meeting to another day or place (secretaries, admins); its agenda stays.

    If its agenda packet has been sent, a revised packet goes out at once to the same people, saying
    the meeting has moved (`unionflow outbox send` or the scheduler sends it).

    \b
    Example:
      unionflow --as SEC1 meeting move 3 --on 2026-06-25T14:30 --place 管委会二楼会议室
    """
    from workflow.meeting_changes import move_meeting

    result = move_meeting(state.ctx, meeting, on=on, place=place)
    if as_json:
        echo_json(result)
    else:
        said = _t("Meeting {id} moved from {previous} to {starts_at} at {place}.").format(
            id=result["id"], previous=short_time(state.ctx, result["previous_starts_at"]),
            starts_at=short_time(state.ctx, result["starts_at"]), place=result["place"])
        if result["revised_packet"] and result["revised_packet"]["queued"]:
            said += " " + _t("Its agenda packet had been sent: a revised one is queued for {n} recipient(s).").format(
                n=len(result["revised_packet"]["recipients"]))
        click.echo(said)
    _warn(result["warnings"])


def _echo_with_dropped(said: str, result: dict) -> None:
    """What closing or cancelling a meeting did with its cases, and how many were not carried."""
    if result["dropped"]:
        said += " " + _t("{dropped} other(s) not carried: closed, or no longer stalled.")
    click.echo(said.format(**result))


@meeting_group.command("cancel")
@click.argument("meeting")
@json_option
@pass_state
def meeting_cancel(state, meeting, as_json):
    """Call off a planned meeting (secretaries, admins); its cases go to the next planned meeting.

    The cancelled meeting is kept, with its agenda. Each case on it goes to the park's next planned
    meeting at once, or, with none planned, waits and the next `meeting plan` takes it (a case closed,
    or escalated and no longer stalled, is not carried). A meeting not held does not count in a
    case's times on the agenda. A meeting with a decision recorded was held: close it instead.

    \b
    Example: unionflow --as SEC1 meeting cancel 3
    """
    from workflow.meeting_changes import cancel_meeting

    result = cancel_meeting(state.ctx, meeting)
    if as_json:
        echo_json(result)
        return
    if result["moved_to"]:
        said = _t("Meeting {id} cancelled; {moved} case(s) moved to meeting {moved_to}.")
    else:
        said = _t("Meeting {id} cancelled; {waiting} case(s) wait for the next meeting to be planned.")
    _echo_with_dropped(said, result)


@meeting_group.command("list")
@click.option("--park", metavar="CODE", help="Only this park's meetings.")
@click.option("--status", type=click.Choice(MEETING_STATUSES),
              help="Only planned, only closed or only cancelled meetings.")
@json_option
@pass_state
def meeting_list(state, park, status, as_json):
    """List meetings with their number of participants, agenda items and resolved items."""
    from workflow.meetings import list_meetings

    rows = list_meetings(state.ctx, park=park, status=status)
    if not as_json:
        rows = [{**m, "starts_at": short_time(state.ctx, m["starts_at"])} for m in rows]
    render(as_json, rows, columns=MEETING_COLUMNS,
           values={"status": "meeting status"})


@meeting_group.command("add")
@click.argument("meeting")
@click.argument("ref", type=REF)
@click.option("--reason", required=True, help="Why the meeting should discuss the case.")
@json_option
@pass_state
def meeting_add(state, meeting, ref, reason, as_json):
    """Put a case (REF: case id or USCC) on a planned meeting's agenda.

    \b
    Example:
      unionflow --as SEC1 meeting add 3 91310117MA1005272U --reason "职工联名要求建会"
    """
    from workflow.meetings import add_item

    result = add_item(state.ctx, meeting, ref, reason)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("Case {case_id} ({enterprise}) is on the agenda of meeting {meeting} (time {times_on_agenda} "
                      "on an agenda).").format(**result))


@meeting_group.command("agenda")
@click.argument("meeting")
@click.option("--format", "fmt", type=click.Choice(["html", "docx", "md", "pdf"]), default="html", show_default=True,
              help="The packet's format (see above).")
@out_option("Write to this file (needed for docx and pdf).")
@as_of_option
@pass_state
def meeting_agenda(state, meeting, fmt, out, as_of):
    """The agenda packet: cover, overview, follow-up of the last decisions, one sheet per case by urgency.

    \b
    html: one self-contained file to open and print (A4); docx: GB/T 9704 layout for Word/WPS;
    md: Markdown for emails; pdf: needs `pip install 'unionflow[pdf]'` and a Chinese font.
    Examples:
      unionflow --lang zh meeting agenda 3 --format docx --out 联席会议材料.docx
      unionflow meeting agenda 3 --format md
    """
    if fmt in ("docx", "pdf") and not out:
        raise click.UsageError(_t("--format {format} writes a binary file: give --out PATH").format(format=fmt))
    from workflow.packet import build_packet
    from workflow.packet_render import check_pdf_ready, render

    if fmt == "pdf":
        check_pdf_ready()  # before any work, so a missing font is said at once
    data = render(build_packet(state.ctx, meeting, as_of=as_of), fmt)
    if out is None:
        click.echo(data, nl=False)
        return
    write_output(out, data)
    click.echo(_t("Wrote {path} ({format}).").format(path=out, format=fmt), err=True)


@meeting_group.command("resolve")
@click.argument("meeting")
@click.argument("ref", type=REF)
@click.option("--decision", required=True, help="What the meeting decided.")
@click.option("--owner-party", metavar="PARTY",
              help="The party that acts: party_committee, administration, regulators, union, chamber_of_commerce, "
                   "employers (or its Chinese name, e.g. 执法监管部门).")
@click.option("--due", type=DATE, help="The day it must be done.")
@click.option("--no-owner-party", is_flag=True, help="Amending: the decision has no owner party any more.")
@click.option("--no-due", is_flag=True, help="Amending: the decision has no due day any more.")
@json_option
@pass_state
def meeting_resolve(state, meeting, ref, decision, owner_party, due, no_owner_party, no_due, as_json):
    """Record the meeting's decision on a case (from the meeting's day on); it goes on the case's timeline.

    Resolving the case again amends the decision: an owner party or due day not given stays as it
    was (--no-owner-party, --no-due take it away).

    \b
    Example:
      unionflow --as SEC1 meeting resolve 3 91310117MA1005272U --decision "执法监管部门会同工会上门宣讲" \\
          --owner-party regulators --due 2026-07-15
    """
    if (owner_party and no_owner_party) or (due and no_due):
        raise click.UsageError(_t("give a value or clear it, not both (--owner-party or --no-owner-party, --due or "
                                  "--no-due)"))
    from workflow.meetings import resolve

    result = resolve(state.ctx, meeting, ref, decision, owner_party=owner_party, due=due,
                     clear_owner_party=no_owner_party, clear_due=no_due)
    if as_json:
        echo_json(result)
    else:
        said = (_t("Decision on case {case_id} ({enterprise}) amended (it was: {previous}){owner}{due}.")
                if result["amended"] else _t("Decision on case {case_id} ({enterprise}) recorded{owner}{due}."))
        click.echo(said.format(
            case_id=result["case_id"], enterprise=result["enterprise"], previous=result["previous_decision"],
            owner=_t("; {party} acts").format(party=_party(result["owner_party"])) if result["owner_party"] else "",
            due=_t(" by {day}").format(day=result["due_on"]) if result["due_on"] else ""))


@meeting_group.command("close")
@click.argument("meeting")
@json_option
@pass_state
def meeting_close(state, meeting, as_json):
    """Close a held meeting; its unresolved cases move to the park's next planned meeting.

    A case that is closed, or that was escalated and has since moved on from the stall, is not
    carried; a case added by hand is, while it is open.

    \b
    With no meeting planned yet they wait, and the next `meeting plan` takes them.
    Example: unionflow --as SEC1 meeting close 3
    """
    from workflow.meetings import close_meeting

    result = close_meeting(state.ctx, meeting)
    if as_json:
        echo_json(result)
        return
    if result["carried_to"]:
        said = _t("Meeting {meeting} closed; {unresolved} unresolved case(s) carried to meeting {carried_to}.")
    else:
        said = _t("Meeting {meeting} closed; {unresolved} unresolved case(s) wait for the next meeting to be planned.")
    _echo_with_dropped(said, result)


@meeting_group.command("send-packets")
@as_of_option
@json_option
@pass_state
def meeting_send_packets(state, as_of, as_json):
    """Queue the packets of meetings due within [scheduler] packet_days_before working days (the scheduler's job).

    A secretary sends those of their park's meetings, an admin all; --as-of may not be after today.

    \b
    Example: unionflow --as SEC1 meeting send-packets
    """
    from workflow.meetings import run_due_packets

    result = run_due_packets(state.ctx, as_of=as_of)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("As of {as_of}: {sent} packet(s) queued, {failed} failed.").format(
            as_of=result["as_of"], sent=len(result["sent"]), failed=len(result["failed"])))
    for f in result["failed"]:
        click.echo("  " + _t("meeting {meeting}: {error}").format(**f), err=True)
    if result["failed"]:
        sys.exit(1)


@group(meeting_group, "party")
def party_group():
    """The park's representatives of the six parties; each planned meeting starts with this list."""


@party_group.command("add")
@click.argument("party")
@click.argument("name")
@click.option("--email", help="Where the packet is sent.")
@click.option("--title", "rep_title", help="Position, e.g. 党工委副书记.")
@click.option("--park", metavar="CODE", help="The park (default: your park).")
@json_option
@pass_state
def party_add(state, party, name, email, rep_title, park, as_json):
    """Add a representative. PARTY: party_committee, administration, regulators, union, chamber_of_commerce,
    employers, or the Chinese name (党工委, 管委会, 执法监管部门, 工会, 商会, 企业资方代表).

    \b
    Example:
      unionflow --as SEC1 meeting party add regulators 周强 --email zhouqiang@example.org --title 市场监管所所长
    """
    from workflow.parties import add_representative

    result = add_representative(state.ctx, party=party, name=name, email=email, title=rep_title, park=park)
    if as_json:
        echo_json(result)
    else:
        click.echo(_t("{name} represents {party} in park {park} (id {id}).").format(
            **{**result, "party": _party(result["party"])}))


@party_group.command("list")
@click.option("--park", metavar="CODE", help="Only this park.")
@json_option
@pass_state
def party_list(state, park, as_json):
    """List the representatives by park and party."""
    from workflow.parties import list_representatives

    rows = list_representatives(state.ctx, park=park)
    if not as_json:  # the party as `meeting party add` takes it in English, its name in Chinese
        rows = [{**r, "party": _party(r["party"])} for r in rows]
    render(as_json, rows, columns=["id", "park", "party", "name", "title", "email"])


@party_group.command("remove")
@click.argument("rep_id", type=ID, metavar="ID")
@pass_state
def party_remove(state, rep_id):
    """Take a representative off the park's list (planned meetings keep their participants)."""
    from workflow.parties import remove_representative

    result = remove_representative(state.ctx, rep_id)
    click.echo(_t("Removed {name} ({party}).").format(**{**result, "party": _party(result["party"])}))


# --------------------------------------------------------------------------------------------- demo
@main.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="unionflow-demo", show_default=True,
              help="Folder for the demo database, the .eml outbox and the meeting packets (recreated).")
@click.option("--seed", type=int, default=2018, show_default=True, help="Random seed: the same seed gives the same run.")
@json_option
def demo(directory, seed, as_json):
    """Replay the Songjiang pilot (2018-07-01 … 2018-12-31) through the real engine.

    \b
    Builds the park: 1,243 enterprises (778 双实, 155,200 employees), 573 founded at the start,
    cadres in 1+5 teams, a secretary, the six parties and joint unions; then, day by day, cadres
    advance cases, the daily sweep reminds and escalates, emails go to DIR/outbox as .eml files,
    and a six-party meeting each month gets its packet in DIR/packets. The demo has a database of
    its own, DIR/unionflow.db (your default database is left alone): point any command at it with
    --db (or UNIONFLOW_DATABASE_URL), with --as-of 2018-12-31 for the replay's last day.

    \b
    Examples:
      unionflow demo --dir /tmp/pilot --seed 7
      unionflow --db sqlite:///unionflow-demo/unionflow.db case list --stalled --as-of 2018-12-31
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from workflow.demo import run_demo

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[day]}"),
                  TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(_t("Replaying the pilot"), total=None, day="")

        def progress(done, total, day):
            bar.update(task, completed=done, total=total, day=day)

        summary = run_demo(directory, seed=seed, progress=progress if console.is_terminal else demo_month_lines)
    if as_json:
        echo_json(summary)
        return
    _print_demo_summary(summary)


def _t(text: str) -> str:
    from templates.i18n import gettext

    return gettext(text)


def _coded(kind: str, raw):
    """A coded value (status, role, level …) in the active language (see templates/labels.py)."""
    from templates.labels import value

    return value(kind, raw)


def _party(party: str | None) -> str | None:
    """One of the six parties: its code in English output (what --owner-party takes), its name in Chinese."""
    from templates.i18n import active_lang

    if not party or active_lang() == "en":
        return party
    from workflow.packet_i18n import party_label

    return party_label(party, "zh")


def demo_month_lines(done: int, total: int, day: str) -> None:
    """The demo's progress when stderr is not a terminal (no progress bar): a line per replayed month."""
    if done == total or (date.fromisoformat(day) + timedelta(days=1)).day == 1:
        click.echo(_t("Replayed {month} ({done} of {total} days)").format(month=day[:7], done=done, total=total),
                   err=True)


def _program() -> str:
    """How to run unionflow again: its name when the shell finds this one by it, else the path it was run by
    (e.g. `.venv/bin/unionflow` straight after the README's set-up line)."""
    import shutil

    ran = sys.argv[0]
    found = shutil.which("unionflow")
    if os.path.basename(ran) != "unionflow" or (found and os.path.exists(ran) and os.path.samefile(found, ran)):
        return "unionflow"
    return ran


def _print_demo_summary(s: dict) -> None:
    target = s["target"]
    click.echo(_t("Founding rate (建会率) at each month end, target {rate:.0%} by {by}:").format(**target))
    from templates.labels import display_width

    start = _t("start")  # outside the f-string, where the message extractor sees it
    click.echo(f"  {start}{' ' * (10 - display_width(start))}  {s['start_rate']:6.1%}")  # as wide as a date
    for m in s["months"]:
        mark = "✔" if m["rate"] >= target["rate"] else " "
        bar = "█" * round(m["rate"] * 40)
        click.echo(f"  {m['as_of']}  {m['rate']:6.1%}  {m['covered']:>5}/{m['enterprises']:<5} {bar} {mark}")
    e = s["escalations"]
    click.echo(_t("Escalations: {remind} reminders, {overdue} overdue warnings, {meeting} to the joint meeting, "
                  "{next_action} follow-up reminders").format(**e))
    click.echo(_t("Joint meetings held: {meetings}; cases on each agenda: {items} ({cases} different cases; a case "
                  "not decided is carried to the next meeting); decisions recorded: {resolved}").format(
        meetings=s["meetings"], items=_t(", ").join(map(str, s["items_per_meeting"])) or "0", cases=s["cases_on_agenda"],
        resolved=s["agenda_items_resolved"]))
    click.echo(_t("Emails sent: {n} (as .eml files in {dir})").format(n=s["emails_sent"], dir=s["outbox_dir"]))
    click.echo(_t("Packets: {dir}").format(dir=str(Path(s["directory"]) / "packets")))
    program, db, as_of = _program(), s["database"], s["as_of"]
    click.echo(_t("Explore the demo database as of the replay's last day, {day}:").format(day=as_of))
    for args in (f"case list --stalled --as-of {as_of}", f"report coverage --by cadre --as-of {as_of}",
                 f"report targets --as-of {as_of}", "meeting list"):
        click.echo(f"  {program} --db {db} {args}")
    click.echo(_t("or make it the database of every command in this shell: export UNIONFLOW_DATABASE_URL={db}").format(
        db=db))


# --------------------------------------------------------------------------------------------- entry point
def _argv_lang(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _root_options_first(argv: list[str]) -> list[str]:
    """The root's options that take a value (--as, --db, --config, --lang) moved before the command when typed
    after it (`case contact X --as C01`, `case show 12 --lang en`): people type them where they think of them,
    and no command has options of these names. Nothing after `--` is touched."""
    root = {opt for p in main.params if isinstance(p, click.Option) and not p.is_flag for opt in p.opts}
    front, rest, i = [], [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        if arg.split("=", 1)[0] in root and ("=" in arg or i + 1 < len(argv)):
            taken = 1 if "=" in arg else 2
            front += argv[i:i + taken]
            i += taken
            continue
        rest.append(arg)
        i += 1
    return front + rest


def localize(command: click.Command, lang: str) -> None:
    """Translate the help of every command and option (English is the source; zh from the catalog)."""
    from inspect import cleandoc

    from templates.i18n import translate

    def tr(text):  # msgids are the help as click shows it: docstrings cleaned
        return translate(cleandoc(text), lang) if text and lang != "en" else text

    for obj in [command, *getattr(command, "params", [])]:
        for attr in ("help", "short_help"):
            original = obj.__dict__.setdefault(f"_{attr}_en", getattr(obj, attr, None))
            if original is not None:
                setattr(obj, attr, tr(original))
    if getattr(command, "_help_option", None) is not None:  # click caches it, worded in the language of its first use
        command._help_option.help = tr("Show this message and exit.")
    for sub in getattr(command, "commands", {}).values():
        localize(sub, lang)
    _route_click_messages()


def join_wide_lines(text: str) -> str:
    """Help paragraphs with the line breaks between two Chinese characters taken out: click rewraps an
    option's help and joins its lines with a space, a stray one between Chinese characters (`\\b` paragraphs
    keep theirs; a command's own text is joined by CellHelpFormatter.write_text). Done when help is shown,
    not when the catalog is applied at every start."""
    return "\n\n".join(p if p.startswith("\b") else join_wide(p, "\n") for p in text.split("\n\n"))


def _route_click_messages() -> None:
    """click's own words (Usage:, Options, Missing option …) come from our catalog, in the active language.

    click calls the stdlib's `gettext` through names bound in its modules; they are pointed at ours.
    `Error: {message}` is not in the catalog, so the prefix stays `Error:` (scripts look for it).
    """
    from importlib import import_module

    from templates import i18n

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types"):
        module = import_module(f"click.{name}")
        module._ = i18n.gettext
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext


def run(argv: list[str] | None = None) -> None:
    """The console entry point: pick the language before click renders any help."""
    from templates.i18n import activate, resolve_lang

    argv = _root_options_first(sys.argv[1:] if argv is None else argv)
    lang = resolve_lang(_argv_lang(argv))
    activate(lang)
    if lang != "en":
        localize(main, lang)
    main(args=argv, prog_name="unionflow")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
