"""Help reads whole: every command's summary in full, wrapped by display width, and examples where one helps."""

import pytest

from tests.test_i18n import help_in


def _commands_section(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip(":") in ("Commands", "命令"))
    return lines[start + 1:]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("group", [(), ("report",), ("meeting",), ("case",)])
def test_command_summaries_read_whole_within_the_width(lang, group):
    from templates.labels import display_width

    text = help_in(lang, *group)
    section = _commands_section(text)
    assert section and not any(line.rstrip().endswith("...") for line in section), text
    assert max(display_width(line) for line in section) <= 100, text  # CONTEXT_SETTINGS max_content_width


def test_the_target_summary_is_not_cut_at_its_example():
    en = help_in("en")
    assert "  target       Founding-rate targets, for example ≥70% by the end of the year.\n" in en
    assert "  target       建会率目标，例如年底前达到 70% 以上。\n" in help_in("zh")


def test_long_chinese_summaries_wrap_between_characters():
    from cli import wrap_cells

    text = "激励约束：哪些企业可优先申请人才公寓和会员超市项目（已建会或规范运行），哪些企业受到约束（职工 25 人以上）。"
    lines = wrap_cells(text, 30)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(len(line) <= 15 for line in lines)  # 30 cells: 15 Chinese characters
    assert not any(line.startswith(("，", "。", "）")) for line in lines)
    assert wrap_cells("one two three", 7) == ["one two", "three"]


@pytest.mark.parametrize(("args", "example"), [
    (("target", "list"), "unionflow target list --json"),
    (("states", "diagram"), "unionflow states diagram --format dot"),
    (("demo",), "case list --stalled --as-of 2018-12-31"),
    (("report",), "unionflow report cadres --format xlsx --out ledger.xlsx"),
])
def test_examples_in_both_languages(args, example):
    for lang in ("en", "zh"):
        assert example in help_in(lang, *args)


def test_chinese_help_has_no_stray_space_where_a_line_was_joined():
    import re

    def unwrapped(*args):  # Chinese is wrapped between characters: read it without the line breaks
        return re.sub(r"\n +", "", help_in("zh", *args))

    assert "督办次数，以及" in unwrapped("report", "cadres")
    assert "（已建会或规范运行），哪些企业" in unwrapped("report", "incentives")
    assign = unwrapped("assign")
    assert "不含已注销的案件。每次易手" in assign and "何时。管理员" in assign, assign


def test_chinese_help_wraps_within_the_width_and_keeps_its_examples_indented():
    from templates.labels import display_width

    text = help_in("zh", "outbox", "send")
    assert max(display_width(line) for line in text.splitlines()) <= 100, text
    assert "\n  示例：\n    unionflow outbox send --limit 500\n" in text


def _every_command(command=None, path=()):
    from cli import main

    command = command or main
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _every_command(sub, (*path, name))


CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # CJK punctuation, ideographs, full-width forms


def test_no_space_stands_between_two_chinese_characters_in_any_commands_help():
    import re

    stray = re.compile(f"[{CJK}] +[{CJK}]")
    found = {" ".join(path) or "unionflow": stray.findall(help_in("zh", *path)) for path in _every_command()}
    assert {cmd: hits for cmd, hits in found.items() if hits} == {}


def test_translated_paragraphs_join_their_chinese_lines_without_a_space():
    from cli import join_wide_lines

    text = "第一行。\n第二行 CADRE\n接着。\n\n\b\n示例：\n  unionflow assign"
    assert join_wide_lines(text) == "第一行。第二行 CADRE\n接着。\n\n\b\n示例：\n  unionflow assign"


def test_help_wrapping_splits_text_as_the_character_class_would_without_compiling_one():
    """The tokens and joins of the help formatter, checked against the regular expressions they replace (a class
    of Chinese ranges costs `re` milliseconds to compile at every `--help`)."""
    import re

    from cli import _wrap_tokens, join_wide

    wide = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
    samples = ["导入企业名录（.csv、.xlsx）：按 USCC 更新， 已有的不重复。", "plain English, two  spaces", "",
               "混合 text 与中文 ”引号” ！", "第一行\n第二行 A\nB 第三行\n第四行"]
    for text in samples:
        assert _wrap_tokens(text) == re.findall(f"\\s+|[{wide}][，。、；：）》」』”！？]*|[^\\s{wide}]+", text)
        assert join_wide(text, " ") == re.sub(f"(?<=[{wide}]) (?=[{wide}])", "", text)
        assert join_wide(text, "\n") == re.sub(f"(?<=[{wide}])\n(?=[{wide}])", "", text)


CASE_STEPS = ("contact", "prepare", "found", "activate", "setback", "close", "reopen", "log")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("step", CASE_STEPS)
def test_a_case_steps_examples_run_as_written(lang, step):
    """Each example is a whole command line with a real USCC: no `case …` without unionflow, no REF to fill in."""
    text = help_in(lang, "case", step)
    body = text.split("\nOptions:")[0].split("\n选项:")[0]
    examples = [line.strip() for line in body.splitlines() if f"case {step} " in line and "[OPTIONS]" not in line]
    assert examples, text
    for line in examples:
        command = line.split("：", 1)[-1].split(": ", 1)[-1]
        assert command.startswith(("unionflow case ", "unionflow --as ")) and " REF" not in command, line
        assert "91310117MA10000" in command, line
    assert "INTEGER RANGE" not in text


def test_the_founding_path_is_said_in_the_cadres_words():
    assert "standalone（单独建会）或 joint（联合建会" in help_in("zh", "case", "prepare")
    assert "--members N " in help_in("en", "case", "found")
    assert "--year YEAR " in help_in("en", "calendar", "show")
