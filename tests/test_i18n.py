"""Chinese and English: every message has a Chinese translation, and the key commands speak both languages.

The catalog is `templates/locale/zh_CN/LC_MESSAGES/unionflow.po`; `scripts/extract_messages.py` finds every
message (the help of the click tree, `_()`/`_t()`/`N_()` calls, click's own words, field names and coded
values) and merges them into it. English is the source text, so English output is the code's own text.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import USCCS, add_enterprise
from tests.test_cli_imports import HEAVY

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "templates" / "locale" / "zh_CN" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}|%\((\w+)\)[sdr]")


def _extractor():
    spec = importlib.util.spec_from_file_location("extract_messages", ROOT / "scripts" / "extract_messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extractor():
    return _extractor()


@pytest.fixture(scope="module")
def zh_catalog():
    from babel.messages.pofile import read_po

    with (LOCALE / "unionflow.po").open("rb") as fh:
        return read_po(fh, locale="zh_CN")


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    from cli import localize, main
    from templates.i18n import activate

    localize(main, "en")
    activate("en")


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _english_sentences(catalog) -> list[str]:
    """The catalog's longer English texts (sentences, not words that may sit in Chinese output as codes)."""
    return [m.id for m in catalog if isinstance(m.id, str) and len(m.id) > 20 and m.id != m.string]


def assert_no_english_sentence(output: str, catalog) -> None:
    flat = _flat(output)
    leaked = [s for s in _english_sentences(catalog) if _flat(s) in flat]
    assert not leaked, f"untranslated in zh output: {leaked}"


def help_in(lang: str, *args: str) -> str:
    """`unionflow [args] --help` as the console entry point renders it (`cli.run` localizes first)."""
    from cli import localize, main
    from templates.i18n import activate

    activate(lang)
    localize(main, lang)
    result = CliRunner().invoke(main, [*args, "--help"], prog_name="unionflow", env={"UNIONFLOW_LANG": lang})
    assert result.exit_code == 0, result.output
    return result.output


# --------------------------------------------------------------------------------------- the catalog is complete
def test_every_help_text_of_every_command_and_option_has_a_chinese_translation(extractor):
    from templates.i18n import translate

    texts = list(extractor.help_messages())
    assert len(texts) > 150  # the walk reached the whole tree
    missing = [(where, text) for text, where in texts if not translate(text, "zh") or translate(text, "zh") == text]
    assert not missing


def test_every_extracted_message_is_translated_with_the_same_placeholders(extractor, zh_catalog):
    template = extractor.build_template()
    problems = []
    for m in template:
        if not m.id:
            continue
        first = m.id if isinstance(m.id, str) else m.id[0]
        found = zh_catalog.get(first, context=m.context)
        strings = () if found is None else ((found.string,) if isinstance(found.string, str) else found.string)
        if not strings or not all(strings):
            problems.append(("untranslated", m.context, m.id))
            continue
        expected = _placeholders(m.id) if isinstance(m.id, str) else set().union(*map(_placeholders, m.id))
        for s in strings:
            got = _placeholders(s)
            # a plural form may use either form's placeholders (click formats with both)
            if got != expected if isinstance(m.id, str) else not got <= expected:
                problems.append(("placeholders", m.id, s))
    assert not problems


def test_no_message_is_marked_inside_an_f_string(extractor):
    """The extractor cannot see `_("…")` inside an f-string's braces, so such a message would stay English."""
    hidden = []
    for path in extractor.python_files():
        names = set(extractor.KEYWORDS)
        if path.relative_to(ROOT).as_posix() in extractor.OWN_UNDERSCORE:
            names -= {"_", "N_"}  # the packet's own words, checked below by their own test
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                hidden += [f"{path.name}:{call.lineno}" for part in node.values if isinstance(part, ast.FormattedValue)
                           for call in ast.walk(part.value)
                           if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names
                           and call.args and isinstance(call.args[0], ast.Constant)]
    assert hidden == []


def test_the_catalog_is_current_with_the_sources(extractor):
    assert extractor.main(["--check"]) == 0, "run: .venv/bin/python scripts/extract_messages.py"


def test_the_currency_check_sees_a_changed_translation_but_not_babel_or_click_versions(extractor, tmp_path):
    po = (LOCALE / "unionflow.po").read_text(encoding="utf-8")
    merged = extractor.merge(extractor.build_template())
    relabelled = po.replace("Generated-By: Babel", "Generated-By: Babel 0.0 ").replace(
        "#: workflow/registry_file.py\n", "#: click/core.py workflow/registry_file.py\n")
    (tmp_path / "same.po").write_text(relabelled, encoding="utf-8")
    assert extractor._behind(merged, tmp_path / "same.po") == []
    changed = po.replace('msgstr "必填"', 'msgstr "必须"', 1)
    assert changed != po
    (tmp_path / "changed.po").write_text(changed, encoding="utf-8")
    assert extractor._behind(merged, tmp_path / "changed.po") == ["  not in the .po: 'required'"]


def test_every_translation_formats_without_error(zh_catalog):
    for m in zh_catalog:
        ids = (m.id,) if isinstance(m.id, str) else m.id
        if not m.id or "{" not in ids[0]:
            continue
        for s in (m.string,) if isinstance(m.string, str) else m.string:
            values = {name: "x" for i in ids for name in _placeholders(i)}
            values.update({name: 1.5 for name, _spec in re.findall(r"\{(\w+):([^{}]*)\}", s)})
            s.format(**values)


def test_email_catalog_covers_every_template_string():
    """The emails use their own gettext domain (`email`); every string of their templates is translated."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    from notifications.i18n import LEVEL_LABELS, STATUS_LABELS

    with (LOCALE / "email.po").open("rb") as fh:
        email = read_po(fh, locale="zh_CN")
    ids = [*STATUS_LABELS.values(), *LEVEL_LABELS.values()]
    for path in sorted((ROOT / "templates" / "email").glob("*.j2")):
        for _line, msgid, _c, _ctx in extract_from_file(
            "jinja2.ext:babel_extract", str(path), keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
            options={"trimmed": "true", "extensions": "jinja2.ext.i18n"},
        ):
            ids.append(msgid if isinstance(msgid, str) else msgid[0])
    assert len(ids) > 20
    def translated(msgid):
        m = email.get(msgid)
        return m is not None and all([m.string] if isinstance(m.string, str) else m.string)

    assert [i for i in ids if not translated(i)] == []


def test_packet_words_cover_every_literal_in_the_packet_templates_and_code():
    """The meeting papers translate through `workflow/packet_i18n.py`; every literal they use has Chinese."""
    from babel.messages.extract import extract_from_file

    from workflow.models import ACTIVITY_KINDS, EVENT_KINDS, LEVELS, SOURCES
    from workflow.packet_i18n import ZH

    used = set()
    for path in sorted((ROOT / "templates" / "packet").glob("*.j2")):
        used |= {m for _l, m, _c, _x in extract_from_file("jinja2.ext:babel_extract", str(path), keywords={"_": None},
                                                          options={"extensions": "jinja2.ext.i18n"})}
    for name in ("packet.py", "packet_docx.py", "packet_render.py"):
        tree = ast.parse((ROOT / "workflow" / name).read_text(encoding="utf-8"))
        used |= {node.args[0].value for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                 and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)}
    # looked up by value: the kinds of timeline entries, sources and agenda-item origins
    used |= {*LEVELS, *EVENT_KINDS, *SOURCES, *ACTIVITY_KINDS, "escalation", "manual", "carried"}
    assert len(used) > 50
    assert sorted(u for u in used if not ZH.get(u)) == []


def test_report_labels_have_both_languages():
    from workflow.report_labels import LABELS

    assert [k for k, (en, zh) in LABELS.items() if not en or not zh] == []


# --------------------------------------------------------------------------------------- the language is chosen
@pytest.mark.parametrize(
    ("explicit", "env", "locale", "expected"),
    [
        (None, None, {"LANG": "zh_CN.UTF-8"}, "zh"),
        (None, None, {"LANG": "en_US.UTF-8"}, "en"),
        (None, None, {"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        (None, None, {}, "zh"),  # no language named: the product's own (DESIGN.md: lang = "zh")
        (None, None, {"LANG": "C.UTF-8"}, "zh"),
        (None, None, {"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "en"),  # C names no language: the next one does
        (None, None, {"LANG": "POSIX"}, "zh"),
        (None, None, {"LANGUAGE": "en_GB:en"}, "en"),
        ("en", None, {"LANG": "zh_CN.UTF-8"}, "en"),
        ("zh", "en", {"LANG": "en_US.UTF-8"}, "zh"),
        (None, "zh", {"LANG": "en_US.UTF-8"}, "zh"),
        (None, "en", {"LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_resolve_lang_from_flag_env_and_locale(monkeypatch, explicit, env, locale, expected):
    from templates.i18n import resolve_lang

    for var in ("UNIONFLOW_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    if env:
        monkeypatch.setenv("UNIONFLOW_LANG", env)
    for var, value in locale.items():
        monkeypatch.setenv(var, value)
    assert resolve_lang(explicit) == expected


def test_the_lang_flag_is_read_before_click_parses(monkeypatch):
    from cli import _argv_lang

    assert _argv_lang(["--lang", "zh", "case", "list"]) == "zh"
    assert _argv_lang(["--db", "x", "--lang=en", "report", "coverage"]) == "en"
    assert _argv_lang(["case", "list"]) is None


def _console(args, env_extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("UNIONFLOW_LANG") and k not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    env.update(env_extra)
    code = f"import sys; from cli import run; sys.argv[1:] = {args!r}; run()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)


def test_console_entry_point_takes_the_language_from_the_locale_and_the_flag():
    assert "用法" in _console(["--help"], {"LANG": "zh_CN.UTF-8"}).stdout
    assert "Usage:" in _console(["--help"], {"LANG": "en_US.UTF-8"}).stdout
    assert "Usage:" in _console(["--lang", "en", "--help"], {"LANG": "zh_CN.UTF-8"}).stdout
    assert "用法" in _console(["--lang", "zh", "case", "prepare", "--help"], {"LANG": "C"}).stdout


def test_lang_typed_after_the_command_is_the_root_option():
    from cli import _root_options_first as first

    assert first(["case", "show", "12", "--json", "--lang", "en"]) == ["--lang", "en", "case", "show", "12", "--json"]
    assert first(["--as", "C01", "case", "log", "1", "--lang=zh"]) == ["--as", "C01", "--lang=zh", "case", "log", "1"]
    assert first(["case", "log", "1", "--", "--lang", "en"]) == ["case", "log", "1", "--", "--lang", "en"]
    r = _console(["case", "prepare", "--help", "--lang", "en"], {"LANG": "zh_CN.UTF-8"})
    assert r.returncode == 0 and r.stdout.startswith("Usage: unionflow case prepare [OPTIONS] REF")
    r = _console(["case", "show", "x", "--lang", "zh"], {"LANG": "C", "UNIONFLOW_DATABASE_URL": "sqlite:///nowhere/x.db"})
    assert "Usage:" not in r.stderr and "No such option" not in r.stderr and r.stderr.startswith("Error: ")


def test_the_root_options_typed_after_the_command_are_taken(tmp_path):
    """`--as`, `--db` and `--config` where people type them, after the command, as `--lang` (a real process)."""
    from cli import _root_options_first as first

    assert first(["case", "contact", "X", "--as", "C01", "--person", "王经理"]) == [
        "--as", "C01", "case", "contact", "X", "--person", "王经理"]
    assert first(["case", "list", "--db=sqlite:///x.db", "--config", "u.toml"]) == [
        "--db=sqlite:///x.db", "--config", "u.toml", "case", "list"]
    assert first(["case", "log", "1", "--note", "x", "--as"]) == ["case", "log", "1", "--note", "x", "--as"]  # no value
    db = f"sqlite:///{tmp_path / 'after.db'}"
    env = {"LANG": "C", "UNIONFLOW_HOME": str(tmp_path / "home"), "UNIONFLOW_TODAY": "2026-06-15"}
    r = _console(["init", "--admin", "A01", "--name", "管理员", "--email", "a01@example.org", "--db", db], env)
    assert r.returncode == 0, r.stderr
    r = _console(["park", "add", "SJ", "松江经开区", "--as", "A01", "--db", db, "--lang", "en"], env)
    assert r.returncode == 0, r.stderr
    r = _console(["park", "add", "XP", "新浜园区", "--db", db, "--lang", "en"], env)  # no actor: refused, as before
    assert r.returncode == 1 and "--as" in r.stderr
    r = _console(["park", "list", "--json", "--db", db], env)
    assert r.returncode == 0 and [p["code"] for p in json.loads(r.stdout)] == ["SJ"]


def test_chinese_help_imports_nothing_heavy(extractor):
    po, mo = LOCALE / "unionflow.po", LOCALE / "unionflow.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        extractor.compile_mo()  # what the build does; without it a source checkout compiles the .po with babel
    for args in (["--help"], ["case", "prepare", "--help"]):
        code = (f"import sys, json\nfrom cli import run\ntry:\n    run({args!r})\nexcept SystemExit:\n    pass\n"
                "sys.stderr.write(json.dumps(sorted(sys.modules)))\n")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "UNIONFLOW_LANG": "zh"})
        assert "用法" in proc.stdout
        loaded = set(json.loads(proc.stderr))
        assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


# --------------------------------------------------------------------------------------- key commands, both languages
def test_root_help_in_both_languages(zh_catalog):
    zh = help_in("zh")
    assert "用法:" in zh and "选项:" in zh and "命令:" in zh
    assert "园区非公企业建会案件管理" in zh and "显示本帮助并退出" in zh
    assert "unionflow --as C01 case contact 91310117MA1000009T --person 王经理" in zh  # examples kept
    assert_no_english_sentence(zh, zh_catalog)
    en = help_in("en")
    assert "Usage: unionflow" in en and "union founding cases for the non-public enterprises" in en
    assert "Show this message and exit." in en


def test_case_prepare_help_in_both_languages(zh_catalog):
    zh = help_in("zh", "case", "prepare")
    assert "已对接 → 筹备" in zh and "筹备组组长（单独建会）" in zh and "[必填]" in zh
    assert "unionflow case prepare 91310117MA1000017M --on 2026-03-25 --mode joint --joint-union JU-G01" in zh
    assert_no_english_sentence(zh, zh_catalog)
    en = help_in("en", "case", "prepare")
    assert "contacted → preparatory" in en and "Leader of the preparatory group (standalone)." in en


def test_every_command_help_is_chinese(zh_catalog):
    from cli import main

    def walk(cmd, path):
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path in walk(main, []):
        assert_no_english_sentence(help_in("zh", *path), zh_catalog)


def test_usage_errors_from_click_in_chinese_keep_the_error_prefix():
    from cli import localize, main
    from templates.i18n import activate

    activate("zh")
    localize(main, "zh")
    result = CliRunner().invoke(main, ["case", "prepare", "X"], prog_name="unionflow", env={"UNIONFLOW_LANG": "zh"})
    assert result.exit_code == 2
    assert "Error: 缺少选项 '--mode'" in result.output
    assert "运行 'unionflow case prepare --help' 查看帮助。" in result.output


@pytest.fixture
def contacted(cli, org, db_url):
    case_id = add_enterprise(db_url, USCCS[0], "测试科技有限公司", status="contacted", status_since="2026-03-02",
                             cadre="C01")
    return case_id


def test_refused_transition_in_both_languages(cli, contacted):
    en = cli("case", "found", USCCS[0], user="C01", expect=1)
    assert en.stderr == (f"Error: cannot found case {contacted} ({USCCS[0]}): it is contacted; "
                         "allowed from contacted: prepare, setback, close\n")
    zh = cli("case", "found", USCCS[0], user="C01", lang="zh", expect=1)
    assert zh.stderr == (f"Error: 无法对案件 {contacted}（{USCCS[0]}）执行“建会”：案件当前为“已对接”；"
                         "“已对接”状态下可执行：prepare（筹备）、setback（退回）、close（注销）\n")
    zh = cli("case", "prepare", USCCS[0], "--mode", "standalone", user="C01", lang="zh", expect=1)
    assert zh.stderr == (f"Error: 无法对案件 {contacted}（{USCCS[0]}）执行“筹备”：缺少单独建会所需的筹备组组长"
                         "（--group-leader）和申请日期（--applied-on）\n")
    zh = cli("case", "contact", USCCS[0], user="C02", lang="zh", expect=1)
    assert zh.stderr == (f"Error: C02（包干干部）无权对案件 {contacted}（{USCCS[0]}）执行“对接”：该案件由干部 C01 包干，"
                         "而 C02 不是其主管领导\n")
    zh = cli("case", "log", USCCS[0], "--kind", "visit", "--note", "x", lang="zh", expect=1)
    assert zh.stderr == "Error: 该命令会修改数据：请用 --as CODE 或 UNIONFLOW_USER 说明你是谁\n"


def test_case_show_and_step_in_both_languages(cli, contacted, zh_catalog):
    zh = cli("case", "show", USCCS[0], lang="zh").stdout
    for text in ("统一社会信用代码", "企业名称", "测试科技有限公司", "状态", "已对接", "包干干部", "建议建会方式",
                 "单独建会", "是否双实"):
        assert text in zh
    assert re.search(r"^状态 +已对接$", zh, re.M)
    assert_no_english_sentence(zh, zh_catalog)
    en = cli("case", "show", USCCS[0]).stdout
    assert re.search(r"^status +contacted$", en, re.M) and re.search(r"^recommended_mode +standalone$", en, re.M)
    zh = cli("case", "prepare", USCCS[0], "--mode", "joint", "--joint-union", "JU-X", user="C01", lang="zh", expect=1)
    assert zh.stderr == "Error: 没有联合工会 'JU-X'：请先用 `unionflow joint-union add` 新增\n"
    done = cli("case", "prepare", USCCS[0], "--mode", "standalone", "--group-leader", "李强", "--applied-on",
               "2026-06-01", user="C01", lang="zh").stdout
    assert done == f"案件 {contacted}（测试科技有限公司）自 2026-06-15 起为“筹备”。\n"


def test_report_coverage_headers_in_both_languages(cli, contacted, zh_catalog):
    zh = cli("report", "coverage", "--by", "park", lang="zh").stdout
    for header in ("建会率", "园区", "企业数", "已建会企业数", "入会率", "合计"):
        assert header in zh
    assert_no_english_sentence(zh, zh_catalog)
    en = cli("report", "coverage", "--by", "park").stdout
    assert "Founding rate" in en and "Enterprises" in en and "建会率" not in en


def test_escalate_output_in_both_languages(cli, contacted, zh_catalog):
    zh = cli("escalate", "--dry-run", user="A01", lang="zh", env={"COLUMNS": "200"}).stdout
    assert "截至 2026-06-15：将触发 3 次督办（提醒 1、逾期督办 1、提交联席会议 1）" in zh
    assert "列入会议议程；1 个案件等待安排会议。试运行：未写入任何数据。" in zh
    for header in ("案件编号", "企业名称", "包干干部", "级别", "状态", "已停留工作日", "时限"):
        assert header in zh
    assert_no_english_sentence(zh, zh_catalog)
    en = cli("escalate", user="A01").stdout
    assert "As of 2026-06-15: 3 escalation(s) fired (remind 1, overdue 1, meeting 1)" in en
    history = cli("case", "history", USCCS[0], lang="zh", env={"COLUMNS": "200"}).stdout
    assert re.search(r"2026-06-15 +督办 +逾期督办 +(?!已对接)\S", history)  # no status: an escalation does not move the case


def test_meeting_agenda_markdown_in_both_languages(cli, contacted):
    cli("meeting", "plan", "--on", "2026-06-18T14:30", "--place", "管委会三楼会议室", "--park", "SJ", user="SEC1")
    cli("meeting", "add", "1", USCCS[0], "--reason", "职工联名要求建会", user="SEC1")
    zh = cli("meeting", "agenda", "1", "--format", "md", lang="zh").stdout
    assert "会议材料" in zh and "总体情况" in zh and "测试科技有限公司" in zh
    assert "Meeting papers" not in zh and "Overview" not in zh
    en = cli("meeting", "agenda", "1", "--format", "md").stdout
    assert "Meeting papers" in en and "Overview" in en


def test_import_errors_in_both_languages(cli, org, tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("uscc,name,employees\n123,甲公司,-5\n", encoding="utf-8")
    en = cli("enterprise", "import", str(bad), "--park", "SJ", user="A01", expect=1)
    assert en.stderr.splitlines()[:2] == ["row 2, column uscc: 123: must be 18 characters, got 3",
                                          "row 2, column employees: must not be negative, got -5"]
    assert en.stderr.splitlines()[-1] == "Error: r.csv has 2 errors in 1 row; nothing was imported"
    zh = cli("enterprise", "import", str(bad), "--park", "SJ", user="A01", lang="zh", expect=1)
    assert zh.stderr.splitlines() == ["第 2 行，uscc 列：123：必须是 18 位，实际为 3 位",
                                      "第 2 行，employees 列：不能为负数，实际为 -5",
                                      "Error: r.csv 中有 2 处错误，涉及 1 行；未导入任何数据"]
    good = tmp_path / "g.csv"
    good.write_text(f"uscc,name,status\n{USCCS[1]},乙公司,已对接\n", encoding="utf-8")
    assert cli("enterprise", "import", str(good), "--park", "SJ", user="A01", lang="zh").stdout == (
        "已导入 g.csv：新增 1 家，更新 0 家，0 家无变化。\n")
    # The timeline speaks the reader's language, whoever imported (workflow.timeline_text).
    assert cli.json("case", "history", USCCS[1], lang="zh")[0]["note"] == "从 g.csv 导入，第 2 行（历史状态：已对接）"
    assert cli.json("case", "history", USCCS[1])[0]["note"] == "imported from g.csv, row 2 (historic status contacted)"


def test_each_escalation_level_has_one_chinese_term_in_the_whole_product():
    """The command line, the packets, the timeline notes and the emails say the same word for a level."""
    from datetime import date

    from notifications.i18n import level_label
    from notifications.i18n import translations as email_translations
    from templates.i18n import translations
    from templates.labels import LEVEL_ZH, value_in
    from workflow.packet_i18n import translator
    from workflow.timeline_text import escalation_note

    assert LEVEL_ZH == {"remind": "提醒", "overdue": "逾期督办", "meeting": "提交联席会议", "next_action": "跟进提醒"}
    catalog, email, packet = translations("zh"), email_translations("zh"), translator("zh")
    for level, term in LEVEL_ZH.items():
        assert catalog.pgettext("level", level) == catalog.pgettext("mail kind", level) == term
        assert value_in("level", level, "zh") == value_in("mail kind", level, "zh") == term
        assert packet(level) == level_label(level, "zh") == term
        assert escalation_note("zh", level, "contacted", 24, 30, date(2026, 7, 1)).startswith(term + "：")
    for level in ("remind", "overdue", "next_action"):
        assert catalog.pgettext("event", level) == value_in("event", level, "zh") == LEVEL_ZH[level]
    assert value_in("event", "meeting", "zh") == "会议"  # a cadre's meeting with the employer is no level
    subjects = {"remind": "Reminder: %(enterprise)s is nearing its deadline", "overdue": "Overdue: %(enterprise)s",
                "meeting": "For the joint meeting: %(enterprise)s", "next_action": "Follow-up due: %(enterprise)s"}
    for level, msgid in subjects.items():
        assert email.gettext(msgid).startswith(LEVEL_ZH[level] + "："), msgid
