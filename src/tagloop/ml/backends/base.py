"""The interface every classifier backend implements.

A backend is a scikit-learn style estimator over raw texts: ``__init__`` only stores
parameters, ``fit`` returns ``self``, learned state ends in ``_``, and the columns of
``predict_proba`` follow ``classes_``. Backends are found by name through the
``tagloop.backends`` entry-point group (see ``registry.py``); the built-in scikit-learn
backend is registered there exactly like a third-party one would be.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

# progress(stage, fraction_done) — fraction in [0, 1]; stage is a short human phrase.
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Contribution:
    """One token or n-gram's push toward a class, located in the original text."""

    token: str
    start: int  # character offset in the original text, inclusive
    end: int  # exclusive
    weight: float  # contribution to the predicted class's score (positive = toward it)

    def as_dict(self) -> dict[str, Any]:
        return {"token": self.token, "start": self.start, "end": self.end, "weight": self.weight}


@runtime_checkable
class Backend(Protocol):
    name: ClassVar[str]
    classes_: list[str]

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        progress: Progress | None = None,
    ) -> Backend: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(classes_))."""
        ...

    def predict_proba_one(self, text: str) -> np.ndarray:
        """The same numbers as ``predict_proba([text])[0]``, on the fastest path available."""
        ...

    def explain(self, text: str, label: str | None = None, top_k: int = 10) -> list[Contribution]:
        """Tokens that pushed ``text`` toward ``label`` (default: the predicted class)."""
        ...

    def get_params(self) -> dict[str, Any]:
        """JSON-serialisable parameters, recorded in the registry."""
        ...

    def save(self, path: Path) -> None:
        """Write one self-contained artifact file that loads without running code."""
        ...

    @classmethod
    def load(cls, path: Path) -> Backend:
        """Read an artifact written by ``save``. Integrity is checked by the caller."""
        ...
