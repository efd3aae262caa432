"""Reports as tables, CSV (UTF-8 with BOM), XLSX and a self-contained HTML page.

Spreadsheet formula injection is neutralised: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading `'`; numbers stay numbers. Headers follow the language (zh or en).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from templates.i18n import N_, translate
from templates.labels import value_in
from workflow.report_labels import label, status_label

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_COLUMNS = {"as_of", "by", "target_by", "founded_on", "activated_on", "opened_on", "status_since"}
COVERAGE_MEASURES = ["enterprises", "covered", "rate", "members", "employees", "membership_rate", "covered_members",
                     "covered_employees", "covered_membership_rate"]


@dataclass
class Sheet:
    title: str
    columns: list[str]
    rows: list[dict]
    headers: dict[str, str] | None = None  # column → header, where it differs from the label
    terminal: list[str] | None = None  # the columns a terminal table shows (default: all); 80 columns wide

    def header(self, column: str, lang: str) -> str:
        return (self.headers or {}).get(column) or label(column, lang)


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


def sheets_for(kind: str, data: dict, lang: str) -> list[Sheet]:
    """The report as one or more flat sheets (columns in order, one dict per row)."""
    if kind == "coverage":
        by = data.get("by")
        group_cols = ["group"] + (["name"] if by in ("park", "cadre") else [])
        headers = {"group": label(by or "group", lang)}
        if "months" in data:
            rows = []
            for m in data["months"]:
                if by:
                    rows += _coverage_rows({"rows": m["rows"], "total": m}, by, lang,
                                           {"month": m["month"], "as_of": m["as_of"]})
                else:
                    rows.append({k: m[k] for k in ("month", "as_of", *COVERAGE_MEASURES)})
            cols = ["month", "as_of"] + (group_cols if by else []) + COVERAGE_MEASURES
            return [Sheet(label("title_coverage_monthly", lang), cols, rows, headers,
                          ["month"] + (group_cols if by else []) + TERMINAL_MEASURES)]
        return [Sheet(label("title_coverage", lang), group_cols + COVERAGE_MEASURES,
                      _coverage_rows(data, by, lang), headers, group_cols + TERMINAL_MEASURES)]
    if kind == "targets":
        cols = ["id", "park", "basis", "target_rate", "by", "enterprises", "covered", "rate", "needed",
                "working_days_left", "pace_per_week", "open_cases"]
        shares = [{"id": t["id"], "park": t["park"], "by": t["by"], **s} for t in data["targets"] for s in t["cadres"]]
        return [Sheet(label("title_targets", lang), cols, data["targets"],
                      terminal=["id", "park", "target_rate", "by", "rate", "needed", "working_days_left",
                                "pace_per_week"]),
                Sheet(label("title_cadre_shares", lang),
                      ["id", "park", "by", "cadre", "name", "open_cases", "share", "share_exact"], shares,
                      terminal=["id", "by", "cadre", "name", "open_cases", "share"])]
    if kind == "funnel":
        return [Sheet(label("title_funnel", lang), ["status", "cases", "stays", "median_days", "median_days_current"],
                      data["statuses"])]
    if kind == "cadres":
        cols = ["cadre", "name", "park", "portfolio", "prospect", "contacted", "preparatory", "founded", "active",
                "closed", "founded_in_period", "stalled", "escalations", "target_rate", "target_by", "gap_share",
                "achieved"]
        return [Sheet(label("title_cadres", lang), cols, data["cadres"],
                      terminal=["cadre", "name", "portfolio", "founded", "stalled", "escalations", "gap_share",
                                "achieved"])]
    if kind == "incentives":
        return [
            Sheet(label("title_eligible", lang), ["uscc", "enterprise", "park", "status", "mode", "joint_union",
                                                  "founded_on", "activated_on", "cadre"], data["eligible"],
                  terminal=["uscc", "enterprise", "status", "mode", "founded_on", "cadre"]),
            Sheet(label("title_constraints", lang), ["uscc", "enterprise", "park", "status", "cadre", "employees",
                                                     "opened_on", "status_since", "reasons"], data["constraints"],
                  terminal=["uscc", "enterprise", "status", "cadre", "reasons"]),
        ]
    raise ValueError(f"unknown report {kind!r}")


REASONS = {"stalled": N_("stalled")}
PAST_MONTHS = re.compile(r"past_(\d+)_months")


def _reasons(text: str, lang: str) -> str:
    """`stalled, past_6_months` in words of `lang` (English keeps the codes)."""
    words = []
    for token in text.split(", "):
        m = PAST_MONTHS.fullmatch(token)
        words.append(translate(N_("more than {n} months after opening"), lang).format(n=m[1]) if m
                     else translate(REASONS.get(token, token), lang))
    return translate(N_(", "), lang).join(words)


def _cell(column: str, value, lang: str):
    if column == "status":
        return status_label(value, lang)
    if column == "mode":
        return value_in("mode", value, lang)
    if column == "reasons" and value and lang != "en":
        return _reasons(value, lang)
    return value


def display_rows(sheet: Sheet, lang: str, columns: list[str] | None = None) -> tuple[list[str], list[dict]]:
    """Headers and cells for a table: rates as percentages with one decimal."""
    columns = columns or sheet.columns
    headers = [sheet.header(c, lang) for c in columns]
    rows = []
    for r in sheet.rows:
        out = {}
        for c, h in zip(columns, headers, strict=True):
            v = _cell(c, r.get(c), lang)
            out[h] = f"{v:.1%}" if is_rate(c) and isinstance(v, int | float) else v
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
    """UTF-8 CSV text with a BOM so Excel reads the Chinese; several sheets follow each other, each under
    its title line and separated by an empty line."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    for i, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if i:
                writer.writerow([])
            writer.writerow([neutralise(sheet.title)])
        writer.writerow([neutralise(sheet.header(c, lang)) for c in sheet.columns])
        for r in sheet.rows:
            writer.writerow(["" if (v := _cell(c, r.get(c), lang)) is None else neutralise(v) for c in sheet.columns])
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
    """One worksheet per sheet, streamed (write-only) so large lists stay in bounded memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(_xlsx_title(sheet.title, taken))
        header = []
        for c in sheet.columns:
            cell = WriteOnlyCell(ws, value=neutralise(sheet.header(c, lang)))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for r in sheet.rows:
            ws.append([_xlsx_cell(ws, c, _cell(c, r.get(c), lang), WriteOnlyCell) for c in sheet.columns])
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
    if is_rate(column) and isinstance(value, int | float):
        cell = cell_class(ws, value=value)
        cell.number_format = "0.0%"
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
    chart = trend_chart(data["months"]) if data.get("months") else None
    return _environment().get_template("reports/coverage.html.j2").render(
        lang=lang, title=sheet.title, basis=label(f"basis_{data['basis']}", lang), park=data.get("park"),
        as_of=data.get("as_of") or f"{data.get('from')} – {data.get('to')}", headers=headers,
        rows=[[r[h] for h in headers] for r in rows], chart=chart, generated=generated,
        labels={k: label(k, lang) for k in ("as_of", "basis", "park", "rate")},
    )
