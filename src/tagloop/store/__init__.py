"""The database layer every part of tagloop shares."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tagloop.config import Settings
from tagloop.store.db import make_engine, make_sessionmaker, migrate, session_scope


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, settings: Settings, *, upgrade: bool = True) -> Store:
        if not settings.database_url:
            settings.ensure_home()
        engine = make_engine(settings.db_url)
        if upgrade:
            migrate(engine)
        return cls(engine=engine, sessions=make_sessionmaker(engine))

    def session(self) -> Session:
        return self.sessions()

    def transaction(self) -> AbstractContextManager[Session]:
        return session_scope(self.sessions)

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Store"]
