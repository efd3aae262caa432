"""The TOML configuration: every key optional, checked, overridden by the environment."""

from tests.conftest import Cli


def test_config_file_language_applies_unless_overridden(tmp_path, db_url, monkeypatch):
    cfg = tmp_path / "unionflow.toml"
    cfg.write_text('[general]\nlang = "zh"\n', encoding="utf-8")
    monkeypatch.delenv("UNIONFLOW_LANG", raising=False)
    cli = Cli(db_url)
    r = cli("case", "show", "1", expect=1, lang=None, env={"UNIONFLOW_CONFIG": str(cfg), "UNIONFLOW_LANG": None})
    assert "no case" not in r.stderr and any("\u4e00" <= ch <= "\u9fff" for ch in r.stderr)
    r = cli("case", "show", "1", expect=1, lang="en", env={"UNIONFLOW_CONFIG": str(cfg)})
    assert r.stderr.startswith("Error: no case '1'")


def test_unknown_setting_and_wrong_type_are_named(tmp_path, db_url):
    cli = Cli(db_url)
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[ladder]\nremind = 80\nremindd = 3\n", encoding="utf-8")
    r = cli("case", "list", expect=1, env={"UNIONFLOW_CONFIG": str(cfg)})
    assert "unknown setting [ladder] remindd" in r.stderr
    cfg.write_text('[allowances]\nprospect = "twenty"\n', encoding="utf-8")
    r = cli("case", "list", expect=1, env={"UNIONFLOW_CONFIG": str(cfg)})
    assert "[allowances] prospect" in r.stderr


def test_missing_explicit_config_file_is_an_error(tmp_path, db_url):
    r = Cli(db_url)("case", "list", expect=1, env={"UNIONFLOW_CONFIG": str(tmp_path / "nope.toml")})
    assert "nope.toml" in r.stderr


def test_bad_values_are_refused_when_the_file_is_loaded_naming_file_section_and_key(tmp_path, db_url):
    cli = Cli(db_url)
    cfg = tmp_path / "bad.toml"
    cases = [
        ('[general]\ntimezone = "Mars/Olympus"\n',
         "[general] timezone must be a time zone name such as Asia/Shanghai, not 'Mars/Olympus'"),
        ('[scheduler]\nsweep_at = "25:99"\n',
         "[scheduler] sweep_at must be a time HH:MM from 00:00 to 23:59, e.g. 08:30, not '25:99'"),
        ("[scheduler]\nsweep_at = 830\n", "[scheduler] sweep_at should be like '08:30', got 830"),
        ("[mail]\nmax_attempts = 0\n", "[mail] max_attempts must be a whole number above 0, not 0"),
        ('[mail]\ntransport = "pigeon"\n', "[mail] transport must be smtp, file or console, not 'pigeon'"),
        ("[mail.smtp]\nport = 70000\n", "[mail.smtp] port must be a port number from 1 to 65535, not 70000"),
        ("[allowances]\ncontacted = 0\n", "[allowances] contacted must be a whole number above 0, not 0"),
        ("[ladder]\nremind = -5\n", "[ladder] remind must be a whole number above 0, not -5"),
        ("[ladder]\nremind = 120\n", "[ladder] must rise: remind < overdue < meeting, not 120, 100, 150"),
        ("[scheduler]\npacket_days_before = -1\n",
         "[scheduler] packet_days_before must be a whole number of working days, 0 or more, not -1"),
    ]
    for text, said in cases:
        cfg.write_text(text, encoding="utf-8")
        r = cli("case", "list", expect=1, env={"UNIONFLOW_CONFIG": str(cfg)})
        assert r.stderr == f"Error: {cfg}: {said}\n", text
    cfg.write_text('[general]\ntimezone = "Asia/Urumqi"\n[ladder]\nremind = 50\n', encoding="utf-8")
    assert cli("case", "list", env={"UNIONFLOW_CONFIG": str(cfg)}).stderr == ""  # a good file passes


def test_a_today_that_is_not_a_date_is_a_clear_error(db_url):
    r = Cli(db_url)("case", "list", expect=1, env={"UNIONFLOW_TODAY": "2026-02-30"})
    assert r.stderr == ("Error: UNIONFLOW_TODAY='2026-02-30' is not a date: use YYYY-MM-DD, or unset it to work on the "
                        "real day\n")
