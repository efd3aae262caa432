"""The agenda packet as a Word document following GB/T 9704-2012, so a secretary can edit it in Word or WPS.

A4 (210 × 297 mm); margins top 37, bottom 35, left 28, right 26 mm (text block 156 × 225 mm, 22 lines);
body 3号 (16 pt) 仿宋_GB2312; title 2号 (22 pt) 小标宋; headings 一、 in 黑体, （一） in 楷体, 1. in 仿宋 bold;
tables in 小四 (12 pt); page numbers "— 1 —" in 4号 (14 pt) 宋体, odd pages right, even pages left.
The East Asian face is set through `w:rFonts w:eastAsia` (python-docx's `font.name` sets only the Latin one).
"""

from __future__ import annotations

import io

from workflow.packet_render import helpers

BODY_FONT, TITLE_FONT, HEI_FONT, KAI_FONT, SONG_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
LATIN_FONT = "Times New Roman"
LINE_PITCH_PT = 28.95  # 225 mm / 22 lines
TABLE_STYLE = "Packet Table Text"


def set_fonts(element, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set Latin and East Asian faces on a style's or run's rPr, dropping theme fonts that would override them."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def _style(doc, name: str, east_asia: str, size: float, *, bold=False, indent=True, align=None, exact=True,
           base: str | None = None, new: bool = False):
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH) if new else doc.styles[name]
    if base:
        style.base_style = doc.styles[base]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(style.element, east_asia)
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(LINE_PITCH_PT)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.first_line_indent = Pt(2 * size) if indent else Pt(0)
    if align is not None:
        pf.alignment = align
    ppr = style.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):  # the default Title style has a rule under it
        ppr.remove(border)
    return style


def _setup(doc) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(23)
    grid = sec._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sec._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
    _style(doc, "Normal", BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _style(doc, "Title", TITLE_FONT, 22, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
    doc.styles["Title"].paragraph_format.space_after = Pt(12)
    _style(doc, "Subtitle", KAI_FONT, 16, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "Heading 1", HEI_FONT, 16)
    _style(doc, "Heading 2", KAI_FONT, 16)
    _style(doc, "Heading 3", BODY_FONT, 16, bold=True)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        doc.styles[name].paragraph_format.keep_with_next = True
    _style(doc, TABLE_STYLE, BODY_FONT, 12, indent=False, exact=False, new=True, base="Normal")
    _style(doc, "Packet Note", KAI_FONT, 12, indent=False, exact=False, new=True, base="Normal")
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(sec.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(sec.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph, align) -> None:
    """"— N —" with a PAGE field, 4号 宋体, one character in from the outer edge."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph.alignment = align
    pf = paragraph.paragraph_format
    pf.first_line_indent = Pt(0)
    if align == 2:  # right
        pf.right_indent = Pt(14)
    else:
        pf.left_indent = Pt(14)

    def run(text=None, fld=None, instr=None):
        r = paragraph.add_run(text)
        r.font.size = Pt(14)
        set_fonts(r._r, SONG_FONT, SONG_FONT)
        if fld:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), fld)
            r._r.append(el)
        if instr:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
            r._r.append(el)

    run("— ")
    run(fld="begin")
    run(instr=" PAGE ")
    run(fld="separate")
    run("1")
    run(fld="end")
    run(" —")


def _table(doc, header: list[str] | None, rows: list[list], widths_mm: list[float], *, label_cols=()):
    """A grid table in 小四 with an optional header row repeated on each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    n_rows = len(rows) + (1 if header else 0)
    table = doc.add_table(rows=n_rows, cols=len(widths_mm))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    all_rows = ([header] if header else []) + rows
    for i, (row, values) in enumerate(zip(table.rows, all_rows, strict=True)):
        cells = row.cells
        for j, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.width = Mm(widths_mm[j])
            p = cell.paragraphs[0]
            p.style = doc.styles[TABLE_STYLE]
            run = p.add_run("" if value is None else str(value))
            if (header and i == 0) or j in label_cols:
                set_fonts(run._r, HEI_FONT)
        if header and i == 0:
            trpr = row._tr.get_or_add_trPr()
            el = OxmlElement("w:tblHeader")
            el.set(qn("w:val"), "true")
            trpr.append(el)
    return table


def render_docx(packet: dict) -> bytes:
    from docx import Document

    lang = packet["lang"]
    h = helpers(lang)
    _, h1no, h2no, paren, pct = h["_"], h["h1no"], h["h2no"], h["paren"], h["pct"]
    doc = Document()
    _setup(doc)
    doc.core_properties.title = packet["meeting"]["title"]
    doc.core_properties.author = "unionflow"
    m = packet["meeting"]
    doc.add_paragraph(m["title"], style="Title")
    doc.add_paragraph(_("Meeting papers"), style="Subtitle")
    _table(doc, None, [[_("Date and time"), m["when"]], [_("Place"), m["place"]],
                       [_("Park"), m["park_name"] + paren(m["park"])], [_("Meeting no."), m["id"]],
                       [_("Prepared on"), packet["as_of_text"]]], [40, 116], label_cols=(0,))
    doc.add_paragraph(_("Participants"), style="Heading 3")
    _table(doc, None, [[p["label"], h["list_sep"].join(x["name"] for x in p["people"]) or _("none named")]
                       for p in packet["participants"]], [60, 96], label_cols=(0,))

    s = packet["summary"]
    doc.add_paragraph(h1no(1) + _("Overview"), style="Heading 1").paragraph_format.page_break_before = True
    doc.add_paragraph(
        _("The park's founding rate is {rate} ({covered} of {enterprises} enterprises).").format(
            rate=pct(s["rate"]), covered=s["covered"], enterprises=s["enterprises"])
        + _("{n} cases are past their allowance.").format(n=s["stalled_total"]) + (" " if lang == "en" else "")
        + _("{n} cases on the agenda: {escalation} escalated, {manual} added, {carried} carried over.").format(
            n=s["agenda"]["total"], escalation=s["agenda"]["escalation"], manual=s["agenda"]["manual"],
            carried=s["agenda"]["carried"]))
    doc.add_paragraph(h2no(1) + _("Founding rate against the targets"), style="Heading 2")
    rows = [[_("Founding rate") + paren(_("now")), _("all enterprises"), pct(s["rate"]), "", ""]]
    rows += [[_("Target by {day}").format(day=t["by_text"]), t["basis_label"], pct(t["current"]), pct(t["rate"]),
              pct(t["gap"]) if t["gap"] > 0 else "—"] for t in s["targets"]]
    _table(doc, ["", _("Basis"), _("now"), _("Target"), _("Gap")], rows, [52, 34, 24, 24, 22])
    if not s["targets"]:
        doc.add_paragraph(_("no target set"), style="Packet Note")
    doc.add_paragraph(h2no(2) + _("Stalled cases by status"), style="Heading 2")
    _table(doc, [_("Status"), _("Cases")], [[x["label"], x["count"]] for x in s["stalled_by_status"]]
           + [[_("Total"), s["stalled_total"]]], [110, 46])
    doc.add_paragraph(h2no(3) + _("Stalled cases by cadre"), style="Heading 2")
    _table(doc, [_("Cadre"), _("Cases")], [[x["name"] + paren(x["cadre"]), x["count"]] for x in s["stalled_by_cadre"]]
           + [[_("Total"), s["stalled_total"]]], [110, 46])
    esc = s["escalations"]
    title = _("Escalations since {day}").format(day=esc["since_text"]) if esc["since"] else _("Escalations so far")
    doc.add_paragraph(h2no(4) + title, style="Heading 2")
    _table(doc, [_("Event"), _("Cases")], [[x["label"], x["count"]] for x in esc["by_level"]] + [[_("Total"), esc["total"]]],
           [110, 46])

    doc.add_paragraph(h1no(2) + _("Follow-up of the last meeting's decisions"), style="Heading 1")
    fu = packet["follow_up"]
    if fu["meeting"] is None:
        doc.add_paragraph(_("No earlier meeting of this park."))
    elif not fu["items"]:
        doc.add_paragraph(_("The last meeting ({title}, {day}) made no decisions.").format(**fu["meeting"]))
    else:
        doc.add_paragraph(_("Decisions of {title} ({day}):").format(**fu["meeting"]))
        _table(doc, [_("Enterprise"), _("Decision"), _("Party to act"), _("Due"), _("State")],
               [[f["enterprise"], f["decision"], f["owner_label"] or "—", f["due_text"] or "—", f["state_text"]]
                for f in fu["items"]], [34, 48, 26, 22, 26])

    doc.add_paragraph(h1no(3) + _("Stalled cases for decision"), style="Heading 1")
    if not packet["cases"]:
        doc.add_paragraph(_("No case on this agenda."))
    for c in packet["cases"]:
        _case_sheet(doc, c, packet, h)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _case_sheet(doc, c: dict, packet: dict, h: dict) -> None:
    _, h2no, paren, colon = h["_"], h["h2no"], h["paren"], h["colon"]
    heading = doc.add_paragraph(h2no(c["no"]) + c["enterprise"], style="Heading 2")
    heading.paragraph_format.page_break_before = True
    doc.add_paragraph("1. " + _("Enterprise profile"), style="Heading 3")
    na = "—"
    rows = [
        [_("USCC"), c["uscc"], _("Industry"), c["industry"] or na],
        [_("Employees"), na if c["employees"] is None else c["employees"], _("双实"), c["shuangshi_text"]],
        [_("Source"), c["source_text"], _("Opened on"), c["opened_on"] or na],
        [_("Status"), c["status_label"], _("In status since"), c["status_since"]],
        [_("Working days in status"), c["days_text"], _("Meetings it has been on"), c["times_on_agenda"]],
        [_("Responsible cadre"), c["cadre_name"] + paren(c["cadre"]), _("Supervisor"),
         (c["supervisor_name"] + paren(c["supervisor"])) if c["supervisor"] else na],
        [_("Why on the agenda"), c["reason"] + paren(c["item_source_text"]), _("Worker sign-ups"), c["signups"]],
    ]
    _table(doc, None, rows, [30, 48, 30, 48], label_cols=(0, 2))
    doc.add_paragraph("2. " + _("Timeline"), style="Heading 3")
    if c["timeline"]:
        _table(doc, [_("Day"), _("Event"), _("Details"), _("By")],
               [[e["on"], e["label"], e["text"], e["actor"]] for e in c["timeline"]], [26, 22, 84, 24])
        if c["timeline_omitted"]:
            doc.add_paragraph(_("{n} earlier entries not shown").format(n=c["timeline_omitted"]), style="Packet Note")
    else:
        doc.add_paragraph(_("no entries yet"))
    doc.add_paragraph("3. " + _("Obstacles"), style="Heading 3")
    for o in c["obstacles"] or [{"text": _("no notes from visits"), "on": ""}]:
        doc.add_paragraph(o["text"] + paren(o["on"]))
    doc.add_paragraph("4. " + _("Legal basis"), style="Heading 3")
    for law in c["legal_basis"]:
        doc.add_paragraph(law["ref"] + colon + law["text"])
    doc.add_paragraph("5. " + _("Proposed measure"), style="Heading 3")
    doc.add_paragraph(c["measure"]["text"])
    doc.add_paragraph(_("Party asked to act") + colon + c["measure"]["party_label"])
    doc.add_paragraph(packet["rules_note"].format(rule=c["measure"]["rule_name"]), style="Packet Note")
    if c["decision"]:
        d = c["decision"]
        doc.add_paragraph("6. " + _("Decision of this meeting"), style="Heading 3")
        doc.add_paragraph(d["text"] + paren(" ".join(x for x in (d["party"], d["due"]) if x)))
