"""Reading and validating an enterprise registry file (.csv or .xlsx), per DESIGN.md "Import columns".

`read_rows` streams raw cells keyed by canonical column; `parse_row` turns one row into a typed
`Record` or a list of every problem found in it. Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from templates.i18n import _
from workflow.errors import ImportFailed
from workflow.registry_cells import (
    Formula,
    RowError,
    csv_records,
    detect_encoding,  # noqa: F401 - re-exported for the callers of this module
    xlsx_records,
)
from workflow.uscc import normalise_uscc, uscc_problem

Raw = str | None | date | int | float

# canonical column -> Chinese header (the English header is the canonical name itself)
COLUMNS = {
    "uscc": "统一社会信用代码", "name": "企业名称", "park": "所属园区", "industry": "行业",
    "employees": "职工人数", "shuangshi": "是否双实", "grid": "网格", "source": "来源",
    "opened_on": "成立日期", "members": "工会会员数", "status": "建会状态",
    "contact_name": "联系人", "contact_phone": "联系电话", "status_since": "状态日期",
}  # fmt: skip
REQUIRED = ("uscc",)  # a new enterprise also needs a name and a park: checked against the database
_HEADERS = {k.casefold(): k for k in COLUMNS} | {v.casefold(): k for k, v in COLUMNS.items()}

SOURCES = {"existing": "存量", "new_project": "新开工", "relocated": "新迁入", "prospective": "意向入驻"}
STATUSES = {
    "prospect": "摸排", "contacted": "已对接", "preparatory": "筹备",
    "founded": "已建会", "active": "规范运行", "closed": "已注销",
}  # fmt: skip
# Spellings seen in real registers besides the contract's ones (未建会 = "no union yet").
_SOURCE_ALIASES = {"新开工项目": "new_project", "有意向入驻": "prospective"}
_STATUS_ALIASES = {"未建会": "prospect", "筹备中": "preparatory"}
# Statuses a case cannot have entered before the enterprise opened (a union is prepared by its workers); a
# prospective tenant may well be met, or leave, before it opens.
AFTER_OPENING = ("preparatory", "founded", "active")
_TRUE = {"是", "y", "yes", "true", "1"}
_FALSE = {"否", "n", "no", "false", "0", ""}


@dataclass(frozen=True)
class Record:
    """A valid registry row with typed values (None: the cell is empty)."""

    uscc: str
    name: str | None
    park: str | None
    industry: str | None = None
    employees: int | None = None
    shuangshi: bool = False
    grid: str | None = None
    source: str = "existing"
    opened_on: date | None = None
    members: int | None = None
    status: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    status_since: date | None = None


# ---------------------------------------------------------------- reading


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _map_headers(header: Iterable[Raw]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """(column index -> canonical name, canonical name -> the header as written, the headers not known, each as
    `header (letter)`). Unknown columns are ignored; raises ImportFailed listing every duplicate or missing one."""
    mapping: dict[int, str] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for i, cell in enumerate(header):
        text = unicodedata.normalize("NFKC", str(cell)).strip() if cell is not None else ""
        if not text:
            continue  # trailing empty columns are common in spreadsheets
        canonical = _HEADERS.get(text.casefold())
        letter = _column_letter(i)
        if canonical is None:
            ignored.append(f"{text} ({letter})")
        elif canonical in mapping.values():
            errors.append(RowError(1, text, _("column {column!r} appears twice (column {letter})").format(
                column=canonical, letter=letter), canonical))
        else:
            mapping[i], written[canonical] = canonical, text
    for col in REQUIRED:
        if col not in mapping.values():
            unknown = _(" (columns not known: {columns})").format(columns=", ".join(ignored)) if ignored else ""
            errors.append(RowError(1, f"{COLUMNS[col]}/{col}", _("required column missing: {zh}/{column}{unknown}").format(
                zh=COLUMNS[col], column=col, unknown=unknown), col))
    if errors:
        raise ImportFailed("; ".join(e.message for e in errors), errors)
    return mapping, written, ignored


def _clean(value: object) -> Raw:
    if isinstance(value, datetime):
        return value.date()  # date cells come back as datetimes at midnight
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip() or None
    return value  # None, int, float, bool, date


class RegistryReader:
    """A registry file read row by row (`rows()`); after the header row, `written` maps each canonical column to
    its header as the file writes it, and `ignored` lists the columns it does not know (`header (letter)`);
    after the rows, `unheaded` counts the rows with values in columns without a header (ignored) and names
    the first ({"rows": n, "first_row": r}, or None)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.written: dict[str, str] = {}
        self.ignored: list[str] = []
        self.unheaded: dict | None = None

    def rows(self) -> Iterator[tuple[int, dict[str, Raw]]]:
        """Yield (spreadsheet row number, {canonical column: raw value}); the header is row 1.

        Blank rows are skipped; empty cells are None. Raises ImportFailed for file-level problems
        (unsupported type, bad headers, undecodable bytes).
        """
        path = self.path
        if not path.is_file():
            raise ImportFailed(_("no such file: {path}").format(path=path))
        suffix = path.suffix.lower()
        if suffix == ".csv":
            yield from self._rows(csv_records(path))
        elif suffix in (".xlsx", ".xlsm"):
            yield from self._rows(xlsx_records(path))
        else:
            raise ImportFailed(
                _("unsupported file type {suffix!r}: use .csv or .xlsx (save .xls as .xlsx)").format(
                    suffix=suffix or path.name)
            )

    def named(self, error: RowError) -> RowError:
        """The error with its column as the file names it (e.g. 职工人数, not employees); a column the file lacks
        as `企业名称/name`."""
        if error.field or not error.column:
            return error
        column = self.written.get(error.column) or (f"{COLUMNS[error.column]}/{error.column}"
                                                    if error.column in COLUMNS else error.column)
        return RowError(error.row, column, error.message, error.column)

    def _rows(self, records: Iterable[tuple[int, list]]) -> Iterator[tuple[int, dict[str, Raw]]]:
        """Header handling and blank-row skipping shared by both formats."""
        header_seen = False
        mapping: dict[int, str] = {}
        headed: set[int] = set()
        for rownum, cells in records:
            if not header_seen:
                if all(_clean(c) is None for c in cells):
                    raise ImportFailed(_("row 1 is empty: it must hold the column headers"))
                mapping, self.written, self.ignored = _map_headers(cells)
                headed = {i for i, cell in enumerate(cells) if _clean(cell) is not None}
                header_seen = True
                continue
            values = [_clean(c) for c in cells]
            if all(v is None for v in values):
                continue
            if any(v is not None for i, v in enumerate(values) if i not in headed):
                if self.unheaded is None:
                    self.unheaded = {"rows": 0, "first_row": rownum}
                self.unheaded["rows"] += 1
            yield rownum, {col: values[i] if i < len(values) else None for i, col in mapping.items()}
        if not header_seen:
            raise ImportFailed(_("the file is empty: row 1 must hold the column headers"))


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Raw]]]:
    """`RegistryReader(path).rows()`, for a caller that needs neither the headers nor the ignored columns."""
    return RegistryReader(path).rows()


# ---------------------------------------------------------------- parsing


def _text(value: Raw) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed into number cells come back as 13800138000.0
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip() or None


def _as_written(value: Raw) -> str | None:
    """Free text (names, industry, grid) as the user wrote it, full-width brackets and all: only trimmed."""
    if value is None or isinstance(value, date):
        return _text(value)
    return str(value).strip() or None


def _int(value: Raw) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool | date):
        raise ValueError(_("not a number: {value!r}").format(value=value))
    if isinstance(value, str):
        # "1,200" and "1 200" are how people type counts; "1200.0" is what some exports write.
        text = unicodedata.normalize("NFKC", value).replace(",", "").replace(" ", "")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
            raise ValueError(_("not a number: {value!r}").format(value=value))
        value = float(text) if "." in text else int(text)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(_("must be a whole number, got {value:g}").format(value=value))
    if value < 0:
        raise ValueError(_("must not be negative, got {value:g}").format(value=value))
    return int(value)


def _bool(value: Raw) -> bool:
    if isinstance(value, bool):
        return value
    text = (_text(value) or "").casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("expected 是/否, Y/N, yes/no, true/false or 1/0, got {text!r}").format(text=text))


_DATE_RES = (
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
)


def _date(value: Raw) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, int | float):
        # An Excel serial number: the cell is not formatted as a date; guessing could be wrong.
        raise ValueError(_("a number ({value:g}), not a date: format the cell as a date or write YYYY-MM-DD").format(
            value=value))
    text = unicodedata.normalize("NFKC", value).strip()
    text = re.sub(r"\s+0{1,2}:00(:00)?$", "", text)  # "2018-07-01 00:00:00" from exported data
    for rx in _DATE_RES:
        if m := rx.fullmatch(text):
            try:
                return date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                raise ValueError(_("not a real date: {text!r}").format(text=text)) from None
    raise ValueError(_("not a date: {text!r} (use YYYY-MM-DD)").format(text=text))


def _choice(value: Raw, names: dict[str, str], aliases: dict[str, str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    lookup = {k: k for k in names} | {v: k for k, v in names.items()} | aliases
    if (found := lookup.get(text.casefold())) is not None:
        return found
    allowed = ", ".join(f"{v}/{k}" for k, v in names.items())
    raise ValueError(_("unknown value {text!r}; expected one of {allowed}").format(text=text, allowed=allowed))


def parse_row(
    rownum: int, raw: dict[str, Raw], *, default_park: str | None = None, today: date | None = None
) -> tuple[Record | None, list[RowError]]:
    """Validate one row. Returns (Record, []) or (None, every error of the row).

    `today` is the import day (from the Clock); when None, future dates are not checked.
    """
    errors: list[RowError] = []
    values: dict[str, object] = {}
    formulas = [c for c, v in raw.items() if isinstance(v, Formula)]
    for column in formulas:
        errors.append(RowError(rownum, column, _("a formula ({formula}) without a saved result: open the file in Excel "
                                                 "or WPS, save it, and import it again").format(formula=raw[column])))
    raw = {c: None if c in formulas else v for c, v in raw.items()}

    def convert(column: str, fn) -> object:
        try:
            return fn(raw.get(column))
        except ValueError as exc:
            errors.append(RowError(rownum, column, str(exc)))
            return None

    code = raw.get("uscc")
    if code is None:
        if "uscc" not in formulas:
            errors.append(RowError(rownum, "uscc", _("required")))
    elif not isinstance(code, str):
        # 18 digits do not survive a number cell (15 significant digits in Excel).
        errors.append(RowError(rownum, "uscc", _("stored as a number; format the column as text")))
    elif problem := uscc_problem(code):
        errors.append(RowError(rownum, "uscc", _("{code}: {problem}").format(code=normalise_uscc(code), problem=problem)))
    else:
        values["uscc"] = normalise_uscc(code)

    # A new enterprise needs a name and a park; whether the row is new, the database says (workflow/registry.py).
    values["name"] = _as_written(raw.get("name"))
    values["park"] = _text(raw.get("park")) or default_park
    for col in ("industry", "grid", "contact_name"):
        values[col] = _as_written(raw.get(col))
    values["contact_phone"] = _text(raw.get("contact_phone"))  # full-width digits become digits
    for col in ("employees", "members"):
        values[col] = convert(col, _int)
    values["shuangshi"] = convert("shuangshi", _bool) or False
    values["source"] = convert("source", lambda v: _choice(v, SOURCES, _SOURCE_ALIASES)) or "existing"
    values["status"] = convert("status", lambda v: _choice(v, STATUSES, _STATUS_ALIASES))
    for col in ("opened_on", "status_since"):
        values[col] = day = convert(col, _date)
        if day is not None and today is not None and day > today:
            errors.append(
                RowError(rownum, col, _("{day} is in the future (today is {today})").format(
                    day=day.isoformat(), today=today.isoformat()))
            )

    if values["status_since"] is not None and raw.get("status") is None:
        errors.append(RowError(rownum, "status_since", _("given without a status (建会状态/status)")))
    opened, since = values["opened_on"], values["status_since"]
    if opened is not None and since is not None and since < opened and values["status"] in AFTER_OPENING:
        errors.append(RowError(rownum, "status_since", _("{since} is before the opening day {opened} (成立日期/opened_on)"
                                                         ).format(since=since.isoformat(), opened=opened.isoformat())))
    employees, members = values["employees"], values["members"]
    if employees is not None and members is not None and members > employees:
        errors.append(RowError(rownum, "members", _("{members} members but only {employees} employees").format(
            members=members, employees=employees)))

    if errors:
        return None, errors
    return Record(**values), []


class DuplicateGuard:
    """Reports a USCC that already appeared earlier in the same file."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}

    def check(self, rownum: int, uscc: str) -> RowError | None:
        code = normalise_uscc(uscc)
        if not code:
            return None
        first = self._first.setdefault(code, rownum)
        if first == rownum:
            return None
        return RowError(rownum, "uscc", _("duplicate: {code} already appears in row {first}").format(code=code, first=first))
