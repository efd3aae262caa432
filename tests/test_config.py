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
