"""Classifier backends, looked up by name."""

from tagloop.ml.backends.registry import available_backends, get_backend

__all__ = ["available_backends", "get_backend"]
