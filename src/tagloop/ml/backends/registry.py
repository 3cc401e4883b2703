"""Find backends by name through the ``tagloop.backends`` entry-point group.

Built-in backends are declared in tagloop's own ``pyproject.toml`` under that group, so
they are loaded by the same mechanism a plugin package would use.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from tagloop.ml.backends.base import Backend

GROUP = "tagloop.backends"


class UnknownBackend(LookupError):
    pass


class BackendUnavailable(RuntimeError):
    """The backend is declared but its optional dependencies are not installed."""


@cache
def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available_backends() -> list[str]:
    return sorted(_entry_points())


def get_backend(name: str) -> type[Backend]:
    ep = _entry_points().get(name)
    if ep is None:
        known = ", ".join(available_backends()) or "none"
        raise UnknownBackend(f"unknown backend {name!r} (available: {known})")
    try:
        return ep.load()  # type: ignore[attr-defined]
    except ImportError as exc:
        raise BackendUnavailable(
            f"backend {name!r} needs optional dependencies: pip install 'tagloop[{name}]' ({exc})"
        ) from exc
