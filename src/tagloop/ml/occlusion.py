"""Explain any probabilistic classifier by occlusion: drop each word, watch the probability.

A word's weight is how much the probability of the label falls when the word is removed
from the text (positive = the word pushes toward the label). It needs nothing from the
model but ``predict_proba``, so it works for neural backends whose inner weights say little.
Every variant of the text is scored in one ``predict_proba`` call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np

from tagloop.ml.backends.base import Contribution

WORD = re.compile(r"\S+")
# Beyond this many words, neighbouring words are occluded together as one span, so the
# cost of an explanation stays bounded whatever the length of the text.
MAX_SPANS = 128


def word_spans(text: str, max_spans: int = MAX_SPANS) -> list[tuple[int, int]]:
    """Character spans of the words of ``text``, merged into at most ``max_spans`` runs."""
    words = [m.span() for m in WORD.finditer(text)]
    if len(words) <= max_spans:
        return words
    size = math.ceil(len(words) / max_spans)
    return [
        (words[i][0], words[min(i + size, len(words)) - 1][1]) for i in range(0, len(words), size)
    ]


def occlusion_contributions(
    predict_proba: Callable[[Sequence[str]], np.ndarray],
    classes: Sequence[str],
    text: str,
    label: str | None = None,
    top_k: int | None = 10,
) -> list[Contribution]:
    """The ``top_k`` words (all with ``None``) whose removal moves the label's probability most."""
    if label is not None and label not in classes:
        raise ValueError(f"unknown label {label!r} (classes: {list(classes)})")
    spans = word_spans(text)
    variants = [text[:start] + text[end:] for start, end in spans]
    proba = predict_proba([text, *variants])
    column = int(np.argmax(proba[0])) if label is None else list(classes).index(label)
    full = float(proba[0, column])
    found = [
        Contribution(text[start:end], start, end, full - float(proba[i + 1, column]))
        for i, (start, end) in enumerate(spans)
    ]
    found.sort(key=lambda c: (-abs(c.weight), c.start))
    return found if top_k is None else found[:top_k]
