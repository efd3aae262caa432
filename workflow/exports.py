"""Reports as tables, CSV (UTF-8 with BOM), XLSX and a self-contained HTML page.

Spreadsheet formula injection is neutralised: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading `'`; numbers stay numbers. Headers follow the language (zh or en).

What a file is of (the as-of day or period, the basis, the park) travels with it:
- XLSX: a title row above each sheet's header row (e.g. "Founding rate · As of: 2018-06-30 · Basis: all
  enterprises"), repeated on printed pages, and the workbook's document properties (title, subject).
- CSV stays one rectangular table for tools: a header row, then data rows, no title lines. The as-of day,
  the basis and the period start are columns of every row (where the table lacks them). A report of two
  tables (targets and the cadres' shares; eligible and constrained enterprises) gives the first in CSV;
  the command's `--sheet` chooses the other.
- An empty key is named in human formats: "(unassigned)" for a cadre, "(not recorded)" for a mode,
  industry or grid, "(all)" for a federation-wide target's park. JSON keeps null.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from templates.i18n import N_, translate
from templates.labels import value_in
from workflow.report_labels import label, outcome_label, status_label

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_COLUMNS = {"as_of", "by", "target_by", "founded_on", "activated_on", "opened_on", "status_since"}
CSV_CONTEXT = ("as_of", "basis", "from")
TWO_DECIMALS = {"pace_per_week", "share_exact"}
COVERAGE_MEASURES = ["enterprises", "covered", "rate", "members", "employees", "membership_rate", "covered_members",
                     "covered_employees", "covered_membership_rate"]


@dataclass
class Sheet:
    title: str
    columns: list[str]
    rows: list[dict]
    headers: dict[str, str] | None = None  # column → header, where it differs from the label
    terminal: list[str] | None = None  # the columns a terminal table shows (default: all); 80 columns wide
    blanks: dict[str, str] | None = None  # column → label key of what an empty (null) cell means
    context: list[tuple[str, object]] = field(default_factory=list)  # (key, value): what the report is of

    def header(self, column: str, lang: str) -> str:
        return (self.headers or {}).get(column) or label(column, lang)

    def cell(self, column: str, value, lang: str):
        """A value as human formats show it (coded values in words, an empty key named)."""
        if value is None and self.blanks and column in self.blanks:
            return label(self.blanks[column], lang)
        return _cell(column, value, lang)

    def csv_context(self) -> list[tuple[str, object]]:
        """The context a CSV row carries as columns (those the table does not have already)."""
        return [(k, v) for k, v in self.context if k in CSV_CONTEXT and k not in self.columns]

    def subtitle(self, lang: str) -> str:
        """The title row of a spreadsheet: "Founding rate · As of: 2018-06-30 · Basis: all enterprises"."""
        parts, colon = [self.title], "：" if lang == "zh" else ": "
        for key, value in self.context:
            shown = label(f"basis_{value}", lang) if key == "basis" else value
            parts.append(f"{label(key, lang)}{colon}{shown}")
        return " · ".join(parts)


def is_rate(column: str) -> bool:
    return column == "rate" or column.endswith("_rate")


def neutralise(value):
    """Make a text cell inert in a spreadsheet; leave numbers, dates and empty cells alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# ----------------------------------------------------------------------------------------- sheets
def _coverage_rows(result: dict, by: str | None, lang: str, extra: dict | None = None) -> list[dict]:
    extra = extra or {}
    rows = [{**extra, **r} for r in result["rows"]]
    if by == "mode":  # a coded value: its name in the report's language
        rows = [{**r, "group": value_in("mode", r["group"], lang)} for r in rows]
    rows.append({**extra, "group": label("total", lang), **{k: result["total"][k] for k in COVERAGE_MEASURES}})
    return rows


# What a terminal table of 80 columns can show; the files and --json have every column.
TERMINAL_MEASURES = ["enterprises", "covered", "rate", "membership_rate"]
# The sheets of the reports of more than one, by the name `--sheet` gives them (the first is the default).
PARTS = {"targets": ("targets", "shares"), "incentives": ("eligible", "constraints")}
PERSON = {"name": "person_name"}  # the label of a cadre's name (姓名, not a park's 名称)


def _scope(data: dict, *keys: str) -> list[tuple[str, object]]:
    """The context of a report: its as-of day and the other `keys` it has (park only when given)."""
    out = [("as_of", data["as_of"])] if data.get("as_of") else []
    for key in keys:
        if key == "park" and not data.get("park"):
            continue
        out.append((key, data[key]))
    return out


def _headers(lang: str, **columns: str) -> dict[str, str]:
    """Headers that differ from the column's own label: {column: label key}."""
    return {column: label(key, lang) for column, key in columns.items()}


def _coverage_sheets(data: dict, lang: str) -> list[Sheet]:
    by = data.get("by")
    group_cols = ["group"] + (["name"] if by in ("park", "cadre") else [])
    headers = _headers(lang, group=by or "group", **(PERSON if by == "cadre" else {}))
    blanks = {"group": "unassigned" if by == "cadre" else "not_recorded"}
    if "months" in data:
        rows = []
        for m in data["months"]:
            if by:
                rows += _coverage_rows({"rows": m["rows"], "total": m}, by, lang,
                                       {"month": m["month"], "as_of": m["as_of"]})
            else:
                rows.append({k: m[k] for k in ("month", "as_of", *COVERAGE_MEASURES)})
        cols = ["month", "as_of"] + (group_cols if by else []) + COVERAGE_MEASURES
        context = [("period", f"{data['from']} – {data['to']}"), *_scope(data, "basis", "park")]
        return [Sheet(label("title_coverage_monthly", lang), cols, rows, headers,
                      ["month"] + (group_cols if by else []) + TERMINAL_MEASURES, blanks, context)]
    return [Sheet(label("title_coverage", lang), group_cols + COVERAGE_MEASURES, _coverage_rows(data, by, lang),
                  headers, group_cols + TERMINAL_MEASURES, blanks, _scope(data, "basis", "park"))]


def sheets_for(kind: str, data: dict, lang: str) -> list[Sheet]:
    """The report as one or more flat sheets (columns in order, one dict per row); `kind:part` (e.g.
    `targets:shares`) gives only that sheet of a report of several."""
    kind, _, part = kind.partition(":")
    sheets = _sheets(kind, data, lang)
    return [sheets[PARTS[kind].index(part)]] if part else sheets


def _sheets(kind: str, data: dict, lang: str) -> list[Sheet]:
    if kind == "coverage":
        return _coverage_sheets(data, lang)
    context = _scope(data, "park")
    if kind == "targets":
        cols = ["id", "park", "basis", "target_rate", "by", "enterprises", "covered", "rate", "needed",
                "working_days_left", "pace_per_week", "open_cases", "outcome", "rate_on_due_day"]
        shares = [{"id": t["id"], "park": t["park"], "by": t["by"], **s} for t in data["targets"] for s in t["cadres"]]
        blanks = {"park": "all_parks", "cadre": "unassigned"}
        return [Sheet(label("title_targets", lang), cols, data["targets"],
                      terminal=["id", "park", "target_rate", "by", "rate", "needed", "working_days_left",
                                "pace_per_week", "outcome"], blanks=blanks, context=context),
                Sheet(label("title_cadre_shares", lang),
                      ["id", "park", "by", "cadre", "name", "open_cases", "share", "share_exact"], shares,
                      _headers(lang, **PERSON), ["id", "by", "cadre", "name", "open_cases", "share"], blanks, context)]
    if kind == "funnel":
        return [Sheet(label("title_funnel", lang), ["status", "cases", "stays", "median_days", "median_days_current"],
                      data["statuses"], context=context)]
    if kind == "cadres":
        cols = ["cadre", "name", "park", "portfolio", "covered", "prospect", "contacted", "preparatory", "founded",
                "active", "closed", "founded_in_period", "stalled", "escalations", "target_rate", "target_by",
                "gap_share", "achieved"]
        return [Sheet(label("title_cadres", lang), cols, data["cadres"],
                      _headers(lang, **PERSON),
                      ["cadre", "name", "portfolio", "covered", "stalled", "escalations", "gap_share", "achieved"],
                      {"cadre": "unassigned"}, [*context, ("from", data["from"])])]
    if kind == "incentives":
        blanks = {"cadre": "unassigned", "mode": "not_recorded"}
        return [
            Sheet(label("title_eligible", lang), ["uscc", "enterprise", "park", "status", "mode", "joint_union",
                                                  "founded_on", "activated_on", "cadre"], data["eligible"],
                  terminal=["uscc", "enterprise", "status", "mode", "founded_on", "cadre"], blanks=blanks,
                  context=context),
            Sheet(label("title_constraints", lang), ["uscc", "enterprise", "park", "status", "cadre", "employees",
                                                     "opened_on", "status_since", "reasons"], data["constraints"],
                  terminal=["uscc", "enterprise", "status", "cadre", "reasons"], blanks=blanks, context=context),
        ]
    raise ValueError(f"unknown report {kind!r}")


REASONS = {"stalled": N_("stalled")}
PAST_MONTHS = re.compile(r"past_(\d+)_months")


def _reasons(text: str, lang: str) -> str:
    """`stalled, past_6_months` in words of `lang`."""
    words = []
    for token in text.split(", "):
        m = PAST_MONTHS.fullmatch(token)
        words.append(translate(N_("more than {n} months after opening"), lang).format(n=m[1]) if m
                     else translate(REASONS.get(token, token), lang))
    return translate(N_(", "), lang).join(words)


def _cell(column: str, value, lang: str):
    if column == "status":
        return status_label(value, lang)
    if column in ("mode", "basis"):
        return value_in(column, value, lang)
    if column == "outcome":
        return outcome_label(value, lang)
    if column == "reasons" and value:
        return _reasons(value, lang)
    return value


def display_rows(sheet: Sheet, lang: str, columns: list[str] | None = None) -> tuple[list[str], list[dict]]:
    """Headers and cells for a table: rates as percentages with one decimal, paces with two decimals."""
    columns = columns or sheet.columns
    headers = [sheet.header(c, lang) for c in columns]
    rows = []
    for r in sheet.rows:
        out = {}
        for c, h in zip(columns, headers, strict=True):
            v = sheet.cell(c, r.get(c), lang)
            if is_rate(c) and isinstance(v, int | float):
                v = f"{v:.1%}"
            elif c in TWO_DECIMALS and isinstance(v, int | float):
                v = f"{v:.2f}"
            out[h] = v
        rows.append(out)
    return headers, rows


def terminal_table(sheet: Sheet, lang: str) -> tuple[list[str], list[dict], set[str]]:
    """The terminal's table: its columns, the cells, and which headers hold numbers (kept unwrapped)."""
    columns = sheet.terminal or sheet.columns
    headers, rows = display_rows(sheet, lang, columns)
    numeric = {h for c, h in zip(columns, headers, strict=True)
               if is_rate(c) or any(isinstance(r.get(c), int | float) for r in sheet.rows)}
    return headers, rows, numeric


# ----------------------------------------------------------------------------------------- CSV
def csv_text(sheets: list[Sheet], lang: str) -> str:
    """UTF-8 CSV text with a BOM so Excel reads the Chinese: one rectangular table, the first sheet's (a
    report of several gives the others with `--sheet`), its context (as of, basis …) as trailing columns."""
    sheet = sheets[0]
    context = sheet.csv_context()
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([neutralise(sheet.header(c, lang)) for c in sheet.columns] + [label(k, lang) for k, _ in context])
    tail = ["" if (v := sheet.cell(k, value, lang)) is None else neutralise(v) for k, value in context]
    for r in sheet.rows:
        writer.writerow(["" if (v := sheet.cell(c, r.get(c), lang)) is None else neutralise(v) for c in sheet.columns]
                        + tail)
    return buf.getvalue()


# ----------------------------------------------------------------------------------------- XLSX
def _xlsx_title(title: str, taken: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    name, n = clean, 2
    while name in taken:
        name = f"{clean[:28]}_{n}"
        n += 1
    taken.add(name)
    return name


def write_xlsx(path: str | Path, sheets: list[Sheet], lang: str) -> None:
    """One worksheet per sheet, streamed (write-only) so large lists stay in bounded memory: a title row
    saying what the sheet is of (repeated on printed pages with the header), the header row, the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    wb.properties.creator = "unionflow"
    wb.properties.title = sheets[0].title
    wb.properties.subject = sheets[0].subtitle(lang)
    taken: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(_xlsx_title(sheet.title, taken))
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        title = WriteOnlyCell(ws, value=neutralise(sheet.subtitle(lang)))
        title.font = Font(bold=True, size=12)
        ws.append([title])
        header = []
        for c in sheet.columns:
            cell = WriteOnlyCell(ws, value=neutralise(sheet.header(c, lang)))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for r in sheet.rows:
            ws.append([_xlsx_cell(ws, c, sheet.cell(c, r.get(c), lang), WriteOnlyCell) for c in sheet.columns])
    wb.save(str(path))


def _xlsx_cell(ws, column: str, value, cell_class):
    if value is None:
        return None
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return neutralise(value)
        cell = cell_class(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, int | float) and (is_rate(column) or column in TWO_DECIMALS):
        cell = cell_class(ws, value=value)
        cell.number_format = "0.0%" if is_rate(column) else "0.00"
        return cell
    return neutralise(value)


# ----------------------------------------------------------------------------------------- HTML
def _environment():
    from importlib.resources import files

    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

    from workflow.config import user_dir

    loader = ChoiceLoader([FileSystemLoader(str(user_dir() / "templates")), FileSystemLoader(str(files("templates")))])
    return Environment(loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def trend_chart(months: list[dict], width: int = 720, height: int = 320) -> dict:
    """Geometry of the line chart of the monthly founding rate (0–100% on the y axis)."""
    left, right, top, bottom = 56, 16, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(months)

    def x(i):
        return round(left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(v):
        return round(top + plot_h * (1 - v), 1)

    points = [{"x": x(i), "y": y(m["rate"]), "label": m["month"], "value": f"{m['rate']:.1%}"}
              for i, m in enumerate(months) if m["rate"] is not None]
    return {
        "width": width, "height": height, "left": left, "right": width - right, "top": top, "bottom": top + plot_h,
        "grid": [{"y": y(v / 100), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)],
        "ticks": [{"x": x(i), "label": m["month"]} for i, m in enumerate(months)],
        "points": points, "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
    }


def coverage_html(data: dict, lang: str, generated: str) -> str:
    """A self-contained page: the coverage table and, for a monthly report, an inline SVG line chart."""
    sheet = sheets_for("coverage", data, lang)[0]
    headers, rows = display_rows(sheet, lang)
    monthly = "months" in data
    chart = trend_chart(data["months"]) if monthly else None
    return _environment().get_template("reports/coverage.html.j2").render(
        lang=lang, title=sheet.title, basis=label(f"basis_{data['basis']}", lang), park=data.get("park"),
        when=f"{data['from']} – {data['to']}" if monthly else data["as_of"], headers=headers,
        rows=[[r[h] for h in headers] for r in rows], chart=chart, generated=generated,
        labels={"when": label("period" if monthly else "as_of", lang),
                **{k: label(k, lang) for k in ("basis", "park", "rate")}},
    )
