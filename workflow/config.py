"""Settings declared as data (name, default, help), read from TOML, overridden by the environment.

Where user files live is decided in one place, `user_dir()`: `UNIONFLOW_HOME` first, then the
platform's user data directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from templates.i18n import N_, _
from workflow.errors import ConfigError

STATUSES_WITH_CLOCK = ("prospect", "contacted", "preparatory", "founded")


def user_dir() -> Path:
    home = os.environ.get("UNIONFLOW_HOME")
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir("unionflow", appauthor=False))


def config_dir() -> Path:
    home = os.environ.get("UNIONFLOW_HOME")
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_config_dir("unionflow", appauthor=False))


@dataclass(frozen=True)
class Setting:
    section: str
    name: str
    default: Any
    help: str
    # What a value must be, said as the end of "[section] name must …": (test, what it must be).
    rule: tuple[Any, str] | None = None


def _positive(v) -> bool:
    return v > 0


def _time_zone(v) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _hh_mm(v) -> bool:
    import re

    return re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v) is not None


POSITIVE = (_positive, N_("be a whole number above 0"))


def _default_db_url() -> str:
    return f"sqlite:///{user_dir() / 'unionflow.db'}"


def _default_lang() -> str:
    from templates.i18n import resolve_lang

    return resolve_lang()  # UNIONFLOW_LANG, else the environment's locale


def _default_mail_dir() -> str:
    return str(user_dir() / "outbox")


# Every key of the configuration contract; a test checks each is documented in the README.
SETTINGS: tuple[Setting, ...] = (
    Setting("general", "timezone", "Asia/Shanghai", "time zone for days, schedules and display",
            (_time_zone, N_("be a time zone name such as Asia/Shanghai"))),
    Setting("general", "lang", lambda: _default_lang(), "language of messages, emails and documents: zh or en (the locale's; zh when it names none)"),
    Setting("general", "signup_threshold", 10, "worker sign-ups that flag an enterprise without a union", POSITIVE),
    Setting("database", "url", _default_db_url, "SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://..."),
    Setting("mail", "transport", "file", "smtp, file (one .eml per message) or console",
            (lambda v: v in ("smtp", "file", "console"), N_("be smtp, file or console"))),
    Setting("mail", "from", "建会办公室 <jianhui@example.org>", "sender address"),
    Setting("mail", "dir", _default_mail_dir, "folder of the file transport"),
    Setting("mail", "digest", True, "one message per recipient per day instead of one per event"),
    Setting("mail", "max_attempts", 8, "delivery attempts before a message is marked failed", POSITIVE),
    Setting("mail", "backoff_seconds", 60, "first retry delay; doubles on each failure", POSITIVE),
    Setting("mail.smtp", "host", "127.0.0.1", "SMTP server"),
    Setting("mail.smtp", "port", 25, "SMTP port", (lambda v: 0 < v < 65536, N_("be a port number from 1 to 65535"))),
    Setting("mail.smtp", "security", "none", "none, starttls or tls",
            (lambda v: v in ("none", "starttls", "tls"), N_("be none, starttls or tls"))),
    Setting("mail.smtp", "username", "", "SMTP login; empty for none"),
    Setting("mail.smtp", "password_env", "UNIONFLOW_SMTP_PASSWORD", "environment variable holding the password"),
    Setting("mail.smtp", "timeout", 30, "seconds to wait for the SMTP server", POSITIVE),
    Setting("allowances", "prospect", 20, "working days allowed in prospect (摸排)", POSITIVE),
    Setting("allowances", "contacted", 30, "working days allowed in contacted (已对接)", POSITIVE),
    Setting("allowances", "preparatory", 60, "working days allowed in preparatory (筹备)", POSITIVE),
    Setting("allowances", "founded", 30, "working days allowed in founded (已建会)", POSITIVE),
    Setting("allowances", "new_enterprise_months", 6, "months from opening within which a new enterprise must found",
            POSITIVE),
    Setting("ladder", "remind", 80, "percent of the allowance at which the cadre is reminded", POSITIVE),
    Setting("ladder", "overdue", 100, "percent at which the cadre and the supervisor are warned", POSITIVE),
    Setting("ladder", "meeting", 150, "percent at which the case goes to the six-party joint meeting", POSITIVE),
    Setting("scheduler", "sweep_at", "08:30", "local time of the daily sweep on working days",
            (_hh_mm, N_("be a time HH:MM from 00:00 to 23:59, e.g. 08:30"))),
    Setting("scheduler", "packet_days_before", 3, "working days before a meeting that its packet is sent",
            (lambda v: v >= 0, N_("be a whole number of working days, 0 or more"))),
    Setting("scheduler", "misfire_grace_seconds", 3600, "how late a missed job may still run", POSITIVE),
)


@dataclass
class Config:
    values: dict[tuple[str, str], Any] = field(default_factory=dict)
    path: Path | None = None

    def get(self, section: str, name: str) -> Any:
        if (section, name) in self.values:
            return self.values[(section, name)]
        for s in SETTINGS:
            if (s.section, s.name) == (section, name):
                return s.default() if callable(s.default) else s.default
        raise KeyError(f"{section}.{name}")

    def section(self, section: str) -> dict[str, Any]:
        return {s.name: self.get(section, s.name) for s in SETTINGS if s.section == section}

    @property
    def database_url(self) -> str:
        return self.get("database", "url")

    @property
    def lang(self) -> str:
        return self.get("general", "lang")

    @property
    def timezone(self) -> str:
        return self.get("general", "timezone")

    @property
    def allowances(self) -> dict[str, int]:
        return {s: int(self.get("allowances", s)) for s in STATUSES_WITH_CLOCK}

    @property
    def ladder(self) -> dict[str, int]:
        return {lvl: int(self.get("ladder", lvl)) for lvl in ("remind", "overdue", "meeting")}


def _flatten(data: dict, prefix: str = "") -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
        else:
            out[(prefix, key)] = value
    return out


def load_config(path: str | Path | None = None, *, db_url: str | None = None, lang: str | None = None) -> Config:
    """Read the TOML file (explicit path, UNIONFLOW_CONFIG, else the user config dir) and apply overrides."""
    explicit = path or os.environ.get("UNIONFLOW_CONFIG")
    candidate = Path(explicit) if explicit else config_dir() / "unionflow.toml"
    values: dict[tuple[str, str], Any] = {}
    if candidate.exists():
        try:
            values = _flatten(tomllib.loads(candidate.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(_("cannot read {path}: {error}").format(path=candidate, error=exc)) from exc
        known = {(s.section, s.name): s for s in SETTINGS}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(_("{path}: unknown setting [{section}] {name}").format(
                    path=candidate, section=key[0], name=key[1]))
            default = known[key].default
            default = default() if callable(default) else default
            if isinstance(default, bool) != isinstance(value, bool) or (
                isinstance(default, int) and not isinstance(value, int)
            ) or (isinstance(default, str) and not isinstance(value, str)):
                raise ConfigError(_("{path}: [{section}] {name} should be like {default!r}, got {value!r}").format(
                    path=candidate, section=key[0], name=key[1], default=default, value=value))
    elif explicit:
        raise ConfigError(_("configuration file {path} does not exist").format(path=candidate))
    cfg = Config(values=values, path=candidate if candidate.exists() else None)
    env_url = db_url or os.environ.get("UNIONFLOW_DATABASE_URL")
    if env_url:
        cfg.values[("database", "url")] = env_url
    env_lang = lang or os.environ.get("UNIONFLOW_LANG")
    if env_lang:
        cfg.values[("general", "lang")] = env_lang
    if cfg.lang not in ("zh", "en"):
        raise ConfigError(_("language must be zh or en, not {lang!r}").format(lang=cfg.lang))
    _check(cfg, candidate)
    return cfg


def _check(cfg: Config, path: Path) -> None:
    """Every value against its rule, and the ladder in order: a clear error naming the file, section and key
    (a bad value found now, not as a traceback of the job that first uses it)."""
    for s in SETTINGS:
        if s.rule is None or (s.section, s.name) not in cfg.values:
            continue  # the defaults are right
        test, what = s.rule
        value = cfg.values[(s.section, s.name)]
        if not test(value):
            raise ConfigError(_("{path}: [{section}] {name} must {what}, not {value!r}").format(
                path=path, section=s.section, name=s.name, what=_(what), value=value))
    ladder = cfg.ladder
    if not ladder["remind"] < ladder["overdue"] < ladder["meeting"]:
        raise ConfigError(_("{path}: [ladder] must rise: remind < overdue < meeting, not {remind}, {overdue}, "
                            "{meeting}").format(path=path, **ladder))
