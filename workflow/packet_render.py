"""Render an agenda packet (the dict from `workflow.packet`) as HTML, Markdown or PDF; DOCX is in packet_docx.

HTML: one self-contained file (inline CSS, an inline SVG chart, a print stylesheet with A4 pages and
a page per case sheet), Jinja2 with autoescape on and StrictUndefined. Markdown: for email bodies
and quick reading. PDF: the same HTML through WeasyPrint, an optional extra that also needs a CJK
font: without either it stops with `PdfUnavailable` saying what to install.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache

from markupsafe import Markup, escape

from templates.i18n import gettext  # the command's language; `_` here is the packet's own (packet_i18n)
from workflow.errors import PdfUnavailable
from workflow.packet_i18n import translator

log = logging.getLogger(__name__)

FORMATS = ("html", "md", "docx", "pdf")

# GB/T 9704 faces first, then what Windows/macOS/Linux usually have (Noto CJK from fonts-noto-cjk).
FONTS = {
    "body": '"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", '
            '"Source Han Serif SC", "Noto Sans CJK SC", serif',
    "title": '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "小标宋", "STZhongsong", "SimSun", "Noto Serif CJK SC", '
             '"Source Han Serif SC", serif',
    "hei": '"黑体", "SimHei", "STHeiti", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif',
    "kai": '"楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti", "Noto Serif CJK SC", "Source Han Serif SC", serif',
    "song": '"宋体", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC", serif',
}
ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """Chinese numerals for heading numbers: 1 → 一, 12 → 十二, 105 → 一百零五, 2024 → 二千零二十四."""
    if n < 10:
        return ZH_DIGITS[n]
    if n < 20:
        return "十" + (ZH_DIGITS[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            out += ("零" if zero and out else "") + ZH_DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out


def helpers(lang: str) -> dict:
    """Numbering (一、/（一） or 1./(1)), punctuation and number formats for one language."""
    zh = lang == "zh"
    return {
        "_": translator(lang),
        "h1no": (lambda n: f"{zh_number(n)}、") if zh else (lambda n: f"{n}. "),
        "h2no": (lambda n: f"（{zh_number(n)}）") if zh else (lambda n: f"({n}) "),
        "paren": (lambda x: f"（{x}）" if x not in (None, "") else "") if zh else (lambda x: f" ({x})" if x not in (None, "") else ""),
        "colon": "：" if zh else ": ",
        "list_sep": "、" if zh else ", ",
        "pct": lambda x: "—" if x is None else f"{100 * x:.1f}%",
    }


@lru_cache(maxsize=2)
def environment(kind: str):
    """'html' (autoescape on) or 'md' (off); both StrictUndefined, so a missing value is an error."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("templates", "packet"), autoescape=(kind == "html"),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["cell"] = lambda s: str(s).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")
    env.filters["line"] = lambda s: " ".join(str(s).split())
    return env


def chart_svg(summary: dict, lang: str) -> Markup:
    """A horizontal bar chart of the founding rate against the targets, as inline SVG."""
    _ = translator(lang)
    bars = [(_("Founding rate") + " · " + _("now"), summary["rate"], "now")]
    if any(t["basis"] == "shuangshi" for t in summary["targets"]):
        bars.append((_("双实 enterprises") + " · " + _("now"), summary["shuangshi"]["rate"], "now"))
    for t in summary["targets"]:
        label = _("Target by {day}").format(day=t["by_text"])
        if t["basis"] == "shuangshi":
            label += " · " + _("Shuangshi (双实)")
        bars.append((label, t["rate"], "target"))
    width, left, right, bar_h, gap, top = 600, 200, 56, 22, 12, 8
    plot = width - left - right
    height = top + len(bars) * (bar_h + gap) + 22
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(_("Founding rate against the targets"))}" font-family="{escape(FONTS["hei"])}" font-size="13">',
             f"<title>{escape(_('Founding rate against the targets'))}</title>"]
    axis_y = top + len(bars) * (bar_h + gap)
    for tick in (0, 25, 50, 75, 100):
        x = left + plot * tick / 100
        dashed = ' stroke-dasharray="3 3"' if tick else ""
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}" stroke="#c8ccd2" stroke-width="1"'
                     f"{dashed}/>")
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#5c5c5c">{tick}%</text>')
    for i, (label, value, kind) in enumerate(bars):
        y = top + i * (bar_h + gap)
        w = plot * max(0.0, min(value or 0.0, 1.0))
        fill = "#1f4e79" if kind == "now" else "#ffffff"
        stroke = "#1f4e79" if kind == "now" else "#c00000"
        dash = "" if kind == "now" else ' stroke-dasharray="5 3"'
        parts.append(f'<text x="{left - 8}" y="{y + bar_h * 0.72:.1f}" text-anchor="end" fill="#1a1a1a">{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{fill}" stroke="{stroke}" '
                     f'stroke-width="1.5"{dash}/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.72:.1f}" fill="#1a1a1a">'
                     f'{"—" if value is None else f"{100 * value:.1f}%"}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def render_html(packet: dict) -> str:
    lang = packet["lang"]
    env = environment("html")
    fonts = {k: Markup(v) for k, v in FONTS.items()}  # CSS text: must not be HTML-escaped inside <style>
    return env.get_template("packet.html.j2").render(**packet, **helpers(lang), fonts=fonts,
                                                     chart_svg=chart_svg(packet["summary"], lang))


def render_markdown(packet: dict) -> str:
    return environment("md").get_template("packet.md.j2").render(**packet, **helpers(packet["lang"]))


def cjk_fonts() -> list[str]:
    """Font families fontconfig knows for Chinese (what WeasyPrint will find)."""
    if shutil.which("fc-list") is None:
        raise PdfUnavailable(gettext("PDF output needs fontconfig to find a Chinese font, and `fc-list` is missing: "
                                     "install it, e.g. `apt-get install fontconfig fonts-noto-cjk`"))
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60, check=False)
    return sorted({line.split(",")[0].strip() for line in out.stdout.splitlines() if line.strip()})


def check_pdf_ready() -> None:
    """Raise PdfUnavailable unless WeasyPrint imports and a CJK font is installed (never blank glyphs)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            gettext("PDF output needs WeasyPrint, which is not installed or cannot load its libraries ({error}): run "
                    "`pip install 'unionflow[pdf]'` (and on Debian/Ubuntu `apt-get install libpango-1.0-0 "
                    "libpangoft2-1.0-0`), or use --format html/docx").format(
                error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        ) from None
    if not cjk_fonts():
        raise PdfUnavailable(
            gettext("PDF output needs a Chinese (CJK) font and fontconfig finds none (`fc-list :lang=zh` is empty): "
                    "install one, e.g. `apt-get install fonts-noto-cjk`, or use --format html/docx; without it the PDF "
                    "would show blank glyphs")
        )


def render_pdf(packet: dict) -> bytes:
    check_pdf_ready()
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=render_html(packet)).write_pdf()


def render(packet: dict, fmt: str) -> str | bytes:
    """The packet in one format: str for html/md, bytes for docx/pdf."""
    if fmt == "html":
        return render_html(packet)
    if fmt == "md":
        return render_markdown(packet)
    if fmt == "docx":
        from workflow.packet_docx import render_docx

        return render_docx(packet)
    if fmt == "pdf":
        return render_pdf(packet)
    from workflow.errors import InvalidInput

    raise InvalidInput(gettext("--format must be one of {formats}, not {format!r}").format(
        formats=", ".join(FORMATS), format=fmt))
