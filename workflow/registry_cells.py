"""Reading the cells of a registry file, row by row: CSV in its encoding, XLSX with its formulas' saved results.

`workflow/registry_file.py` turns the rows into typed records; nothing here knows the columns.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from templates.i18n import _
from workflow.errors import ImportFailed


@dataclass(frozen=True)
class RowError:
    """One problem of one row; `column` is the canonical English column name (`RegistryReader.named` gives
    the column as the file names it), or empty for a problem of the row as a whole."""

    row: int
    column: str
    message: str
    field: str = ""  # the canonical name, once `column` is the file's


@dataclass(frozen=True)
class Formula:
    """An XLSX formula cell without a saved result (the file was never opened and saved in Excel or WPS)."""

    text: str

    def __str__(self) -> str:
        return self.text


def detect_encoding(path: Path, chunk: int = 65536) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030' (covers GBK and GB2312).

    Decides on the first chunk holding non-ASCII bytes, since an all-ASCII prefix (English
    headers) says nothing. A file that changes encoding later fails clearly in `csv_records`.
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


def csv_records(path: Path) -> Iterator[tuple[int, list]]:
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
            where = "" if line_no == rownum + 1 else _(" (line {line})").format(line=line_no)
            raise _row_failure(rownum + 1, _("bytes not valid {encoding}{where} ({reason}); save the file as UTF-8 or "
                                             "GB18030 throughout").format(encoding=encoding, where=where,
                                                                          reason=exc.reason)) from exc
        except csv.Error as exc:
            raise _row_failure(rownum + 1, _("malformed CSV ({error})").format(error=exc)) from exc
        rownum += 1
        yield rownum, cells


def _row_failure(row: int, problem: str) -> ImportFailed:
    """A problem of a whole row that stops the reading: listed as `row N: problem` (no column)."""
    return ImportFailed(_("row {row}: {problem}").format(row=row, problem=problem), [RowError(row, "", problem)])


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(wb, ws) -> bool:
    """Whether the sheet's XML holds a formula (read as bytes: much cheaper than a second parse)."""
    try:
        with wb._archive.open(ws._worksheet_path) as xml:  # openpyxl's read-only workbook keeps the zip open
            tail = b""
            while chunk := xml.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-16:]
    except (AttributeError, KeyError):  # another openpyxl layout: assume there may be formulas
        return True
    return False


def _open_xlsx(path: Path, data_only: bool):
    from openpyxl import load_workbook  # heavy; only needed for spreadsheets

    with warnings.catch_warnings():
        # openpyxl warns about styles/extensions it ignores in files from other tools; harmless here.
        warnings.simplefilter("ignore", UserWarning)
        try:
            return load_workbook(path, read_only=True, data_only=data_only)
        except Exception as exc:  # zipfile/XML errors of a corrupt or mislabelled file
            raise ImportFailed(_("cannot read {file} as .xlsx: {error}").format(file=path.name, error=exc)) from exc


def xlsx_records(path: Path) -> Iterator[tuple[int, list]]:
    wb = _open_xlsx(path, data_only=True)
    formulas = None
    try:
        ws = wb.worksheets[0]  # the first sheet, not whichever was last active
        if _has_formulas(wb, ws):
            # A formula's saved result is what Excel shows; without one (a file written by a program and never
            # opened), the cell is not empty but unknown: read the formulas too, to say so.
            formulas = _open_xlsx(path, data_only=False)
            cells_f = formulas.worksheets[0].iter_rows()
        for rownum, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            row = list(cells)
            if formulas is not None:
                row = [Formula(str(f.value)) if v is None and f is not None and f.data_type == "f" else v
                       for v, f in zip_longest(row, next(cells_f, ()))]
            yield rownum, row
    finally:
        wb.close()
        if formulas is not None:
            formulas.close()
