"""Typed access to what the application factory attached to the app."""

from __future__ import annotations

from flask import current_app

from tagloop.config import Settings
from tagloop.ml.registry import Registry
from tagloop.store import Store


def settings() -> Settings:
    return current_app.extensions["tagloop.settings"]  # type: ignore[no-any-return]


def store() -> Store:
    return current_app.extensions["tagloop.store"]  # type: ignore[no-any-return]


def registry() -> Registry:
    return current_app.extensions["tagloop.registry"]  # type: ignore[no-any-return]
