"""What every command works with: configuration, clock, database and the acting user."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from workflow.clock import Clock
from workflow.config import Config, load_config


@dataclass
class Context:
    config: Config
    clock: Clock
    actor_code: str | None = None
    _engine: object = field(default=None, repr=False)
    application_name: str | None = None  # who we are to the database server (PostgreSQL's pg_stat_activity)

    @classmethod
    def open(cls, *, db_url=None, config_path=None, lang=None, actor_code=None, application_name=None) -> Context:
        config = load_config(config_path, db_url=db_url, lang=lang)
        return cls(config=config, clock=Clock.from_env(config.timezone), actor_code=actor_code,
                   application_name=application_name)

    @property
    def lang(self) -> str:
        return self.config.lang

    @cached_property
    def engine(self):
        from workflow.db import make_engine

        return self._engine or make_engine(self.config.database_url, application_name=self.application_name)

    @cached_property
    def ready_engine(self):
        """The engine, after checking that the schema is there and current."""
        from workflow.db import check_ready

        check_ready(self.engine)
        return self.engine

    def close(self) -> None:
        if "engine" in self.__dict__ and self._engine is None:
            self.engine.dispose()
