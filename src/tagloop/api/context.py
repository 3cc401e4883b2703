"""Typed access to what the application factory attached to the app."""

from __future__ import annotations

from flask import current_app

from tagloop.config import Settings
from tagloop.ml.registry import Registry
from tagloop.store import Store


def settings() -> Settings:
    return current_app.extensions["tagloop.settings"]


def store() -> Store:
    return current_app.extensions["tagloop.store"]


def registry() -> Registry:
    return current_app.extensions["tagloop.registry"]
