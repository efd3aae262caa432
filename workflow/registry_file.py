"""Reading and validating an enterprise registry file (.csv or .xlsx), per DESIGN.md "Import columns".

`read_rows` streams raw cells keyed by canonical column; `parse_row` turns one row into a typed
`Record` or a list of every problem found in it. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from templates.i18n import _
from workflow.errors import ImportFailed
from workflow.uscc import normalise_uscc, uscc_problem

log = logging.getLogger(__name__)

Raw = str | None | date | int | float

# canonical column -> Chinese header (the English header is the canonical name itself)
COLUMNS = {
    "uscc": "统一社会信用代码", "name": "企业名称", "park": "所属园区", "industry": "行业",
    "employees": "职工人数", "shuangshi": "是否双实", "grid": "网格", "source": "来源",
    "opened_on": "成立日期", "members": "工会会员数", "status": "建会状态",
    "contact_name": "联系人", "contact_phone": "联系电话", "status_since": "状态日期",
}  # fmt: skip
REQUIRED = ("uscc", "name")
_HEADERS = {k.casefold(): k for k in COLUMNS} | {v.casefold(): k for k, v in COLUMNS.items()}

SOURCES = {"existing": "存量", "new_project": "新开工", "relocated": "新迁入", "prospective": "意向入驻"}
STATUSES = {
    "prospect": "摸排", "contacted": "已对接", "preparatory": "筹备",
    "founded": "已建会", "active": "规范运行", "closed": "已注销",
}  # fmt: skip
# Spellings seen in real registers besides the contract's ones (未建会 = "no union yet").
_SOURCE_ALIASES = {"新开工项目": "new_project", "有意向入驻": "prospective"}
_STATUS_ALIASES = {"未建会": "prospect", "筹备中": "preparatory"}
_TRUE = {"是", "y", "yes", "true", "1"}
_FALSE = {"否", "n", "no", "false", "0", ""}


@dataclass(frozen=True)
class RowError:
    """One problem of one row; `column` is the canonical English column name."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Record:
    """A valid registry row with typed values."""

    uscc: str
    name: str
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


def _map_headers(header: Iterable[Raw]) -> dict[int, str]:
    """Column index -> canonical name. Raises ImportFailed listing every bad header."""
    mapping: dict[int, str] = {}
    errors: list[RowError] = []
    for i, cell in enumerate(header):
        text = unicodedata.normalize("NFKC", str(cell)).strip() if cell is not None else ""
        if not text:
            continue  # trailing empty columns are common in spreadsheets
        canonical = _HEADERS.get(text.casefold())
        letter = _column_letter(i)
        if canonical is None:
            errors.append(RowError(1, letter, _("unknown column header {header!r} in column {letter}").format(
                header=text, letter=letter)))
        elif canonical in mapping.values():
            errors.append(RowError(1, canonical, _("column {column!r} appears twice (column {letter})").format(
                column=canonical, letter=letter)))
        else:
            mapping[i] = canonical
    for col in REQUIRED:
        if col not in mapping.values():
            errors.append(RowError(1, col, _("required column missing: {zh}/{column}").format(
                zh=COLUMNS[col], column=col)))
    if errors:
        raise ImportFailed("; ".join(e.message for e in errors), errors)
    return mapping


def _clean(value: object) -> Raw:
    if isinstance(value, datetime):
        return value.date()  # date cells come back as datetimes at midnight
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip() or None
    return value  # None, int, float, bool, date


def _rows(records: Iterable[tuple[int, list]]) -> Iterator[tuple[int, dict[str, Raw]]]:
    """Header handling and blank-row skipping shared by both formats."""
    header_seen = warned = False
    mapping: dict[int, str] = {}
    for rownum, cells in records:
        if not header_seen:
            if all(_clean(c) is None for c in cells):
                raise ImportFailed(_("row 1 is empty: it must hold the column headers"))
            mapping, header_seen = _map_headers(cells), True
            continue
        values = [_clean(c) for c in cells]
        if all(v is None for v in values):
            continue
        if not warned and any(v is not None for i, v in enumerate(values) if i not in mapping):
            log.warning("row %d: values in columns without a header are ignored", rownum)
            warned = True
        yield rownum, {col: values[i] if i < len(values) else None for i, col in mapping.items()}
    if not header_seen:
        raise ImportFailed(_("the file is empty: row 1 must hold the column headers"))


def detect_encoding(path: Path, chunk: int = 65536) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030' (covers GBK and GB2312).

    Decides on the first chunk holding non-ASCII bytes, since an all-ASCII prefix (English
    headers) says nothing. A file that changes encoding later fails clearly in `_csv_records`.
    """
    with path.open("rb") as f:
        data = f.read(chunk)
        if data.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        while data and data.isascii():
            data = f.read(chunk)
    if not data:
        return "utf-8"
    try:  # final=False: a character cut by the chunk boundary is not an error
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _csv_records(path: Path) -> Iterator[tuple[int, list]]:
    encoding = detect_encoding(path)
    decoder = codecs.getincrementaldecoder(encoding)()
    line_no = 0

    def lines() -> Iterator[str]:
        # Splitting bytes on b"\n" is safe: neither UTF-8 nor GB18030 uses 0x0A inside a character.
        nonlocal line_no
        # The last line is decoded with final=True before the csv reader sees it, so a character
        # cut off at the end of the file is reported on the row it belongs to.
        with path.open("rb") as f:
            raw = f.readline()
            while raw:
                line_no, nxt = line_no + 1, f.readline()  # line_no: read by the caller on failure
                yield decoder.decode(raw, final=not nxt)
                raw = nxt

    reader = csv.reader(lines())
    rownum = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            msg = _("row {row} (line {line}): bytes not valid {encoding} ({reason}); save the file as UTF-8 or "
                    "GB18030 throughout").format(row=rownum + 1, line=line_no, encoding=encoding, reason=exc.reason)
            raise ImportFailed(msg, [RowError(rownum + 1, "", msg)]) from exc
        except csv.Error as exc:
            msg = _("row {row}: malformed CSV ({error})").format(row=rownum + 1, error=exc)
            raise ImportFailed(msg, [RowError(rownum + 1, "", msg)]) from exc
        rownum += 1
        yield rownum, cells


def _xlsx_records(path: Path) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook  # heavy; only needed for spreadsheets

    with warnings.catch_warnings():
        # openpyxl warns about styles/extensions it ignores in files from other tools; harmless here.
        warnings.simplefilter("ignore", UserWarning)
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile/XML errors of a corrupt or mislabelled file
            raise ImportFailed(_("cannot read {file} as .xlsx: {error}").format(file=path.name, error=exc)) from exc
    try:
        ws = wb.worksheets[0]  # the first sheet, not whichever was last active
        for rownum, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield rownum, list(cells)
    finally:
        wb.close()


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Raw]]]:
    """Yield (spreadsheet row number, {canonical column: raw value}); the header is row 1.

    Blank rows are skipped; empty cells are None. Raises ImportFailed for file-level problems
    (unsupported type, bad headers, undecodable bytes).
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(_("no such file: {path}").format(path=path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _rows(_csv_records(path))
    elif suffix in (".xlsx", ".xlsm"):
        yield from _rows(_xlsx_records(path))
    else:
        raise ImportFailed(
            _("unsupported file type {suffix!r}: use .csv or .xlsx (save .xls as .xlsx)").format(suffix=suffix or path.name)
        )


# ---------------------------------------------------------------- parsing


def _text(value: Raw) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed into number cells come back as 13800138000.0
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip() or None


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

    def convert(column: str, fn) -> object:
        try:
            return fn(raw.get(column))
        except ValueError as exc:
            errors.append(RowError(rownum, column, str(exc)))
            return None

    code = raw.get("uscc")
    if code is None:
        errors.append(RowError(rownum, "uscc", _("required")))
    elif not isinstance(code, str):
        # 18 digits do not survive a number cell (15 significant digits in Excel).
        errors.append(RowError(rownum, "uscc", _("stored as a number; format the column as text")))
    elif problem := uscc_problem(code):
        errors.append(RowError(rownum, "uscc", _("{code}: {problem}").format(code=normalise_uscc(code), problem=problem)))
    else:
        values["uscc"] = normalise_uscc(code)

    values["name"] = _text(raw.get("name"))
    if values["name"] is None:
        errors.append(RowError(rownum, "name", _("required")))
    values["park"] = _text(raw.get("park")) or default_park
    if values["park"] is None:
        errors.append(RowError(rownum, "park", _("no park: fill 所属园区/park or give a default park")))
    for col in ("industry", "grid", "contact_name", "contact_phone"):
        values[col] = _text(raw.get(col))
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
