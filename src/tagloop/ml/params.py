"""Build a backend from user-given parameters, refusing unknown names and wrong types.

Parameters arrive as ``--param KEY=VALUE`` on the command line or as JSON in a retraining
request; a typo or a string where a number belongs must be refused before training starts,
naming the parameter, not end minutes later in a traceback from deep inside a library.
The types come from the backend's own ``__init__`` annotations.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from tagloop.ml.backends import get_backend
from tagloop.ml.backends.base import Backend


def check_params(backend_class: type[Backend], params: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` naming the first unknown or mistyped parameter."""
    name = getattr(backend_class, "name", backend_class.__name__)
    accepted = [p for p in inspect.signature(backend_class.__init__).parameters if p != "self"]
    hints = typing.get_type_hints(backend_class.__init__)
    for key, value in params.items():
        if key == "seed":
            raise ValueError("set the seed with --seed, not as a backend parameter")
        if key not in accepted:
            known = ", ".join(p for p in accepted if p != "seed")
            raise ValueError(f"backend {name!r} has no parameter {key!r} (it has: {known})")
        hint = hints.get(key)
        if hint is not None and not _fits(value, hint):
            raise ValueError(f"parameter {key!r} must be {_describe(hint)}, got {value!r}")


def describe_params(backend_class: type[Backend]) -> list[tuple[str, str, Any]]:
    """(name, expected type, default) of each parameter a backend takes, seed excluded."""
    hints = typing.get_type_hints(backend_class.__init__)
    return [
        (p.name, _describe(hints[p.name]) if p.name in hints else "any", p.default)
        for p in inspect.signature(backend_class.__init__).parameters.values()
        if p.name not in ("self", "seed")
    ]


def build_backend(backend_class: type[Backend], seed: int, params: Mapping[str, Any]) -> Backend:
    """A fresh, unfitted backend; its ``get_params`` runs once so that it can refuse
    combinations the types alone allow (an unknown embedding name, say)."""
    check_params(backend_class, params)
    factory: Any = backend_class  # the Protocol does not describe __init__
    model: Backend = factory(seed=seed, **params)
    model.get_params()
    return model


def retraining_backend(
    name: str, current: Mapping[str, Any], changes: Mapping[str, Any]
) -> Backend:
    """The backend a retraining builds: the parent version's parameters with ``changes``
    applied (``seed`` among them). The API calls it to refuse a bad request before queuing
    the job that would fail on it in the worker."""
    params = {**current, **changes}
    seed = params.pop("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return build_backend(get_backend(name), seed, params)


def _fits(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    container = _container(hint)
    if container == "object":
        return isinstance(value, dict) and all(_fits(v, args[-1]) for v in value.values())
    if container == "list":
        return isinstance(value, list) and all(_fits(v, args[0]) for v in value) if args else True
    return True  # Any, or a type this check does not know: the backend decides


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if hint is type(None):
        return "null"
    if hint in (bool, int, float, str):
        return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}[hint]
    plural = {bool: "booleans", int: "integers", float: "numbers", str: "strings"}
    container = _container(hint)
    if container == "object":
        return f"an object of {plural.get(args[-1], 'values')}"
    if container == "list":
        return f"a list of {plural.get(args[0], 'values')}" if args else "a list"
    return str(hint)


def _container(hint: Any) -> str | None:
    """ "object" for a Mapping[...] hint, "list" for a Sequence[...] one (JSON's names)."""
    origin = typing.get_origin(hint)
    if not isinstance(origin, type):
        return None
    if issubclass(origin, Mapping):
        return "object"
    return "list" if issubclass(origin, Sequence) else None
