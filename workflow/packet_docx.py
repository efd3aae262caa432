"""The agenda packet as a Word document following GB/T 9704-2012, so a secretary can edit it in Word or WPS.

A4 (210 × 297 mm); margins top 37, bottom 35, left 28, right 26 mm (text block 156 × 225 mm, 22 lines);
body 3号 (16 pt) 仿宋_GB2312; title 2号 (22 pt) 小标宋; headings 一、 in 黑体, （一） in 楷体, 1. in 仿宋 bold;
tables in 小四 (12 pt); page numbers "— 1 —" in 4号 (14 pt) 宋体, odd pages right, even pages left.
The East Asian face is set through `w:rFonts w:eastAsia` (python-docx's `font.name` sets only the Latin one).
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

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


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _text(value) -> str:
    return escape(_INVALID_XML.sub("", "" if value is None else str(value)))


class Writer:
    """Appends paragraphs and tables to the body as ready-made XML.

    python-docx resolves a style by name on every assignment and inserts each block by searching the
    body, which makes a 500-case packet take minutes; here style ids are looked up once and every
    block goes straight before the final sectPr.
    """

    def __init__(self, doc):
        self.doc = doc
        self.end = doc.element.body.sectPr
        self.ids = {s.name: s.style_id for s in doc.styles if s.type == 1}  # paragraph styles
        self.grid = doc.styles["Table Grid"].style_id
        self.hei = (f'<w:rPr><w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" w:eastAsia="{HEI_FONT}" '
                    f'w:cs="{LATIN_FONT}"/></w:rPr>')

    def _add(self, xml: str) -> None:
        from docx.oxml import parse_xml

        self.end.addprevious(parse_xml(xml))

    def para(self, text, style: str = "Normal", *, page_break: bool = False) -> None:
        brk = "<w:pageBreakBefore/>" if page_break else ""
        self._add(f'<w:p {W_NS}><w:pPr><w:pStyle w:val="{self.ids[style]}"/>{brk}</w:pPr>'
                  f'<w:r><w:t xml:space="preserve">{_text(text)}</w:t></w:r></w:p>')

    def table(self, header: list[str] | None, rows: list[list], widths_mm: list[float], *, label_cols=()) -> None:
        """A grid table in 小四; the header row (shaded, 黑体) repeats on each page; label columns in 黑体."""
        widths = [round(w * 1440 / 25.4) for w in widths_mm]
        cell_style = self.ids[TABLE_STYLE]
        out = [f'<w:tbl {W_NS}><w:tblPr><w:tblStyle w:val="{self.grid}"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
               '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
               'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
               *(f'<w:gridCol w:w="{w}"/>' for w in widths), "</w:tblGrid>"]
        for i, values in enumerate(([header] if header else []) + rows):
            head = bool(header) and i == 0
            out.append("<w:tr>" + ('<w:trPr><w:tblHeader/></w:trPr>' if head else ""))
            for j, (w, value) in enumerate(zip(widths, values, strict=True)):
                label = head or j in label_cols
                shade = '<w:shd w:val="clear" w:color="auto" w:fill="F3F5F8"/>' if label else ""
                out.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{shade}</w:tcPr><w:p><w:pPr>'
                           f'<w:pStyle w:val="{cell_style}"/></w:pPr><w:r>{self.hei if label else ""}'
                           f'<w:t xml:space="preserve">{_text(value)}</w:t></w:r></w:p></w:tc>')
            out.append("</w:tr>")
        out.append("</w:tbl>")
        self._add("".join(out))
        # Word needs a paragraph between two tables, or it merges them.
        self._add(f'<w:p {W_NS}><w:pPr><w:pStyle w:val="{self.ids["Packet Note"]}"/><w:spacing w:after="60"/>'
                  '</w:pPr></w:p>')


def render_docx(packet: dict) -> bytes:
    from docx import Document

    lang = packet["lang"]
    h = helpers(lang)
    _, h1no, h2no, paren, pct = h["_"], h["h1no"], h["h2no"], h["paren"], h["pct"]
    doc = Document()
    _setup(doc)
    w = Writer(doc)
    doc.core_properties.title = packet["meeting"]["title"]
    doc.core_properties.author = "unionflow"
    m = packet["meeting"]
    w.para(m["title"], style="Title")
    w.para(_("Meeting papers"), style="Subtitle")
    w.table(None, [[_("Date and time"), m["when"]], [_("Place"), m["place"]],
                       [_("Park"), m["park_name"] + paren(m["park"])], [_("Meeting no."), m["id"]],
                       [_("Prepared on"), packet["as_of_text"]]], [40, 116], label_cols=(0,))
    w.para(_("Participants"), style="Heading 3")
    w.table(None, [[p["label"], h["list_sep"].join(x["name"] for x in p["people"]) or _("none named")]
                       for p in packet["participants"]], [60, 96], label_cols=(0,))

    s = packet["summary"]
    w.para(h1no(1) + _("Overview"), "Heading 1", page_break=True)
    sentences = [
        _("The park's founding rate is {rate} ({covered} of {enterprises} enterprises).").format(
            rate=pct(s["rate"]), covered=s["covered"], enterprises=s["enterprises"]),
        _("{n} cases are past their allowance.").format(n=s["stalled_total"]),
        _("{n} cases on the agenda: {escalation} escalated, {manual} added, {carried} carried over.").format(
            n=s["agenda"]["total"], escalation=s["agenda"]["escalation"], manual=s["agenda"]["manual"],
            carried=s["agenda"]["carried"]),
    ]
    if s["agenda"]["moved_on"]:
        sentences.append(_("Of these, {n} have moved on since being put on the agenda and are listed at the end.")
                         .format(n=s["agenda"]["moved_on"]))
    w.para((" " if lang == "en" else "").join(sentences))
    w.para(h2no(1) + _("Founding rate against the targets"), style="Heading 2")
    rows = [[_("Founding rate") + paren(_("now")), _("all enterprises"), pct(s["rate"]), "", ""]]
    rows += [[_("Target by {day}").format(day=t["by_text"]), t["basis_label"], pct(t["current"]), pct(t["rate"]),
              pct(t["gap"]) if t["gap"] > 0 else "—"] for t in s["targets"]]
    w.table(["", _("Basis"), _("now"), _("Target"), _("Gap")], rows, [52, 34, 24, 24, 22])
    if not s["targets"]:
        w.para(_("no target set"), style="Packet Note")
    w.para(h2no(2) + _("Stalled cases by status"), style="Heading 2")
    w.table([_("Status"), _("Cases")], [[x["label"], x["count"]] for x in s["stalled_by_status"]]
           + [[_("Total"), s["stalled_total"]]], [110, 46])
    w.para(h2no(3) + _("Stalled cases by cadre"), style="Heading 2")
    w.table([_("Cadre"), _("Cases")], [[x["name"] + paren(x["cadre"]), x["count"]] for x in s["stalled_by_cadre"]]
           + [[_("Total"), s["stalled_total"]]], [110, 46])
    esc = s["escalations"]
    title = _("Escalations since {day}").format(day=esc["since_text"]) if esc["since"] else _("Escalations so far")
    w.para(h2no(4) + title, style="Heading 2")
    w.table([_("Event"), _("Cases")], [[x["label"], x["count"]] for x in esc["by_level"]] + [[_("Total"), esc["total"]]],
           [110, 46])

    w.para(h1no(2) + _("Follow-up of the last meeting's decisions"), style="Heading 1")
    fu = packet["follow_up"]
    if fu["meeting"] is None:
        w.para(_("No earlier meeting of this park."))
    else:
        w.para(fu["meeting"]["intro"])
    if fu["items"]:
        w.table([_("Enterprise"), _("Decision"), _("Party to act"), _("Due"), _("State")],
               [[f["enterprise"], f["decision"], f["owner_label"] or "—", f["due_text"] or "—", f["state_text"]]
                for f in fu["items"]], [34, 48, 26, 22, 26])

    w.para(h1no(3) + _("Stalled cases for decision"), style="Heading 1")
    if not packet["cases"]:
        w.para(_("No case on this agenda."))
    for c in packet["cases"]:
        _case_sheet(w, c, packet, h)
    if packet["moved_on"]:
        w.para(h1no(4) + _("Moved on since being put on the agenda"), "Heading 1", page_break=True)
        w.para(_("These cases changed status after they were put on this agenda and are no longer stalled: the "
                 "meeting may hear how they stand, no decision is needed."))
        w.table([_("Enterprise"), _("Why on the agenda"), _("Status now"), _("Responsible cadre")],
                [[c["enterprise"], c["reason"], _("{status} since {day}").format(status=c["status_label"],
                                                                                  day=c["since_text"]),
                  c["cadre_name"] + paren(c["cadre"])] for c in packet["moved_on"]], [40, 52, 36, 28])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _case_sheet(w: Writer, c: dict, packet: dict, h: dict) -> None:
    _, h2no, paren, colon = h["_"], h["h2no"], h["paren"], h["colon"]
    w.para(h2no(c["no"]) + c["enterprise"], "Heading 2", page_break=True)
    w.para("1. " + _("Enterprise profile"), style="Heading 3")
    na = "—"
    rows = [
        [_("USCC"), c["uscc"], _("Industry"), c["industry"] or na],
        [_("Employees"), na if c["employees"] is None else c["employees"], _("Shuangshi (双实)"), c["shuangshi_text"]],
        [_("Source"), c["source_text"], _("Opened on"), c["opened_on"] or na],
        [_("Status"), c["status_label"], _("In status since"), c["status_since"]],
        [_("Working days in status"), c["days_text"], _("Meetings it has been on"), c["times_on_agenda"]],
        [_("Responsible cadre"), c["cadre_name"] + paren(c["cadre"]), _("Supervisor"),
         (c["supervisor_name"] + paren(c["supervisor"])) if c["supervisor"] else na],
        [_("Why on the agenda"), c["reason"] + paren(c["item_source_text"]), _("Worker sign-ups"), c["signups"]],
    ]
    w.table(None, rows, [30, 48, 30, 48], label_cols=(0, 2))
    w.para("2. " + _("Timeline"), style="Heading 3")
    if c["timeline"]:
        w.table([_("Day"), _("Event"), _("Details"), _("By")],
               [[e["on"], e["label"], e["text"], e["actor"]] for e in c["timeline"]], [26, 22, 84, 24])
        if c["timeline_omitted"]:
            w.para(_("{n} earlier entries not shown").format(n=c["timeline_omitted"]), style="Packet Note")
    else:
        w.para(_("no entries yet"))
    w.para("3. " + _("Obstacles"), style="Heading 3")
    for o in c["obstacles"] or [{"text": _("no notes from visits"), "on": ""}]:
        w.para(o["text"] + paren(o["on"]))
    w.para("4. " + _("Legal basis"), style="Heading 3")
    for law in c["legal_basis"]:
        w.para(law["ref"] + colon + law["text"])
    w.para("5. " + _("Proposed measure"), style="Heading 3")
    w.para(c["measure"]["text"])
    w.para(_("Party asked to act") + colon + c["measure"]["party_label"])
    w.para(packet["rules_note"].format(rule=c["measure"]["rule_name"]), style="Packet Note")
    if c["decision"]:
        d = c["decision"]
        w.para("6. " + _("Decision of this meeting"), style="Heading 3")
        w.para(d["text"] + paren(d["terms"]))
