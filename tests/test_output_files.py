"""--out: a file the command cannot write is a clear error (exit 1), never a traceback or a partial file."""

import os

import pytest

REPORT_FORMATS = [("coverage", "csv"), ("coverage", "json"), ("coverage", "xlsx"), ("coverage", "html"),
                  ("targets", "csv"), ("funnel", "json"), ("cadres", "xlsx"), ("incentives", "csv")]


@pytest.fixture
def meeting(cli, org):
    cli("meeting", "plan", "--on", "2026-06-18T14:30", "--place", "管委会三楼会议室", user="SEC1")
    return "1"


@pytest.mark.parametrize(("report", "fmt"), REPORT_FORMATS)
def test_report_into_a_missing_folder_is_refused(cli, org, tmp_path, report, fmt):
    out = tmp_path / "missing" / f"x.{fmt}"
    r = cli("report", report, "--format", fmt, "--out", out, expect=1)
    assert r.stderr == (f"Error: cannot write {out}: the folder {tmp_path / 'missing'} does not exist; create it or "
                        "choose another --out\n")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("fmt", ["docx", "md", "html"])
def test_agenda_into_a_missing_folder_is_refused(cli, meeting, tmp_path, fmt):
    out = tmp_path / "missing" / f"p.{fmt}"
    r = cli("meeting", "agenda", meeting, "--format", fmt, "--out", out, expect=1)
    assert r.stderr == (f"Error: cannot write {out}: the folder {tmp_path / 'missing'} does not exist; create it or "
                        "choose another --out\n")


def test_out_under_a_file_is_refused(cli, org, tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    r = cli("report", "coverage", "--format", "csv", "--out", tmp_path / "notes.txt" / "x.csv", expect=1)
    assert r.stderr == (f"Error: cannot write {tmp_path / 'notes.txt' / 'x.csv'}: {tmp_path / 'notes.txt'} is not a "
                        "folder; choose another --out\n")


def test_the_error_is_translated(cli, org, tmp_path):
    r = cli("report", "coverage", "--format", "csv", "--out", tmp_path / "无" / "x.csv", lang="zh", expect=1)
    assert r.stderr.startswith(f"Error: 无法写入 {tmp_path / '无' / 'x.csv'}：文件夹 {tmp_path / '无'} 不存在")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere: a read-only folder does not stop it")
def test_read_only_folder_is_refused(cli, meeting, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        r = cli("meeting", "agenda", meeting, "--format", "md", "--out", folder / "p.md", expect=1)
        assert r.stderr == f"Error: cannot write {folder / 'p.md'}: permission denied; choose another --out\n"
        r = cli("report", "funnel", "--format", "csv", "--out", folder / "f.csv", expect=1)
        assert r.stderr == f"Error: cannot write {folder / 'f.csv'}: permission denied; choose another --out\n"
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_a_failed_write_leaves_no_file_behind(cli, org, meeting, tmp_path):
    """The file is written beside its target and renamed at the end: a failure leaves nothing, not half a file."""
    too_long = tmp_path / ("长" * 200 + ".csv")  # the folder takes the file; the name is refused at the very end
    r = cli("report", "coverage", "--format", "csv", "--out", too_long, expect=1)
    assert r.stderr.startswith(f"Error: cannot write {too_long}: ")
    r = cli("meeting", "agenda", meeting, "--format", "docx", "--out", tmp_path / ("长" * 200 + ".docx"), expect=1)
    assert r.stderr.startswith("Error: cannot write ")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".unionflow-") or "长" in p.name]


def test_a_written_file_replaces_the_old_one_whole(cli, org, meeting, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    out = folder / "coverage.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    cli("report", "coverage", "--format", "csv", "--out", out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") and (out.stat().st_mode & 0o777) == 0o640
    packet = folder / "packet.md"
    cli("meeting", "agenda", meeting, "--format", "md", "--out", packet)
    assert packet.read_text(encoding="utf-8").startswith("# ")
    assert sorted(p.name for p in folder.iterdir()) == ["coverage.csv", "packet.md"]


def test_json_and_another_format_conflict(cli, org):
    r = cli("report", "coverage", "--format", "csv", "--json", expect=2)
    assert r.stderr.endswith("Error: --json and --format csv disagree: give one of them\n")
    cli("report", "coverage", "--format", "json", "--json")  # the same thing twice is no conflict
