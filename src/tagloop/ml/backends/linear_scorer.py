r"""A dependency-light scorer for a linear model over n-gram TF-IDF features.

It reproduces scikit-learn's ``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)`` (or
``analyzer="word"`` with the default token pattern) followed by ``X @ coef.T + intercept``
from plain arrays, so that

* one message can be scored in tens of microseconds (scikit-learn's pipeline costs ~500 µs
  in validation and sparse-matrix overhead for a single row), and
* a saved model needs only a vocabulary, idf and coefficients — no pickled objects.

Tokenisation copies ``VectorizerMixin._char_wb_ngrams``: lower-case, split on whitespace,
pad each word with one space, take n-grams of each length within the word; a padded word
shorter than n is taken whole, once. Word n-grams copy ``_word_ngrams``: tokens are the
matches of ``\b\w\w+\b`` in the lower-cased text, joined by one space. The parity tests
check both against scikit-learn.
"""

from __future__ import annotations

import itertools
import math
import re
from array import array
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar, cast

import numpy as np
import scipy.sparse as sp

_WORD = re.compile(r"\S+")  # \S agrees with str.split() on what whitespace is
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
ANALYZERS = ("char_wb", "word")
_CACHE_WORDS = 50_000
_CACHE_MAX_WORD = 40
# Sublinear term frequency 1 + log(count) for the counts a message has, looked up.
_TF_TABLE = 64
_SUBLINEAR_TF = [0.0] + [1.0 + math.log(c) for c in range(1, _TF_TABLE)]
T = TypeVar("T")


def word_ngrams(word: str, lo: int, hi: int) -> list[str]:
    """The char_wb n-grams of one (already lower-cased) word."""
    w = f" {word} "
    size = len(w)
    grams: list[str] = []
    for n in range(lo, hi + 1):
        if n >= size:
            grams.append(w)
            break
        grams.extend([w[i : i + n] for i in range(size - n + 1)])
    return grams


def token_ngrams(tokens: Sequence[str], lo: int, hi: int) -> list[str]:
    """Word n-grams of a token sequence, as scikit-learn joins them."""
    grams: list[str] = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), hi + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _remember(cache: dict[str, T], word: str, value: T) -> None:
    """Memoise ``value`` for ``word`` in a per-word cache, bounded: words longer than
    ``_CACHE_MAX_WORD`` are not kept, and a full cache is emptied (crude but bounded; it
    refills with the common words)."""
    if len(word) <= _CACHE_MAX_WORD:
        if len(cache) >= _CACHE_WORDS:
            cache.clear()
        cache[word] = value


class LinearScorer:
    """Decision scores of a linear model on l2-normalised, sublinear-tf, idf-weighted n-grams.

    ``coef`` has one row per score: a single row for a binary model (the score of the second
    class), one row per class otherwise.
    """

    def __init__(
        self,
        terms: Sequence[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        ngram_range: tuple[int, int],
        lowercase: bool = True,
        analyzer: str = "char_wb",
    ) -> None:
        if analyzer not in ANALYZERS:
            raise ValueError(f"analyzer must be one of {ANALYZERS}, got {analyzer!r}")
        self.analyzer = analyzer
        self.terms = list(terms)
        self.vocabulary = dict(zip(self.terms, range(len(self.terms)), strict=True))
        if len(self.vocabulary) != len(self.terms):
            raise ValueError("duplicate terms in the vocabulary")
        self.idf = np.ascontiguousarray(idf, dtype=np.float64)
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = np.ascontiguousarray(intercept, dtype=np.float64)
        if self.coef.ndim != 2 or self.coef.shape[1] != len(self.terms):
            raise ValueError(f"coef has shape {self.coef.shape}, vocabulary {len(self.terms)}")
        if self.idf.shape != (len(self.terms),) or self.intercept.shape != (len(self.coef),):
            raise ValueError("idf or intercept does not match the coefficients")
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.lowercase = lowercase
        # For the one-message path, a binary model's idf and weight of term j side by side
        # at [2j] and [2j + 1]: one cache line per term, and indexing an array.array is far
        # cheaper than indexing a numpy array element by element.
        self._idf_w = array("d", np.column_stack([self.idf, self.coef[0]]).ravel().tolist())
        self._b0 = float(self.intercept[0])
        self._cache: dict[str, list[int]] = {}
        self._rows: dict[str, bytes] = {}  # each word's n-gram counts, for batches
        # Term-major weights (term -> its row of coefficients, one gather per term) with the
        # idf folded in, and the squared idf (a row's norm), so that an n-gram matrix needs
        # only its logarithm taken (``_sublinear``).
        self._idf_weights = np.ascontiguousarray(self.coef.T) * self.idf[:, None]
        self._idf_squared = self.idf * self.idf

    # -- tokenising -------------------------------------------------------------------------
    def _word_columns(self, word: str) -> list[int]:
        """Vocabulary columns of a word's n-grams, with repeats; memoised per word.

        Words repeat across messages far more than messages do, so caching per word makes
        tokenising a message mostly a few dict hits instead of hundreds of slices.
        """
        cols = self._cache.get(word)
        if cols is None:
            cols = self._known_ngrams(word)
            _remember(self._cache, word, cols)
        return cols

    def _known_ngrams(self, word: str) -> list[int]:
        """Vocabulary columns of a word's n-grams, with repeats (not memoised)."""
        lo, hi = self.ngram_range
        get = self.vocabulary.get
        return [j for j in map(get, word_ngrams(word, lo, hi)) if j is not None]

    def _word_row(self, word: str) -> bytes:
        """A word's row of n-gram counts, packed for a batch: one int64 per distinct
        known n-gram, ``column << 32 | count``, in column order, as bytes; memoised per
        word (words longer than ``_CACHE_MAX_WORD`` are computed each time).

        A batch joins the rows of its distinct words with one ``bytes.join`` (a memory
        copy each) and numpy unpacks them in two vector operations.
        """
        row = self._rows.get(word)
        if row is None:
            counts = Counter(self._known_ngrams(word))
            row = array("q", sorted([(j << 32) | c for j, c in counts.items()])).tobytes()
            _remember(self._rows, word, row)
        return row

    def _columns(self, text: str) -> list[int]:
        """Vocabulary columns of every n-gram occurrence in ``text``, with repeats."""
        if self.lowercase:
            text = text.lower()
        if self.analyzer == "word":
            get = self.vocabulary.get
            grams = token_ngrams(_TOKEN.findall(text), *self.ngram_range)
            return [j for j in map(get, grams) if j is not None]
        cached = self._cache.get
        cols: list[int] = []
        for word in text.split():
            cols += cached(word) or self._word_columns(word)
        return cols

    def _known_counts(self, text: str) -> tuple[list[int], list[int]]:
        """Columns present in ``text`` and their raw counts."""
        counts = Counter(self._columns(text))
        return list(counts.keys()), list(counts.values())

    # -- features and scores ---------------------------------------------------------------
    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw n-gram counts (texts x terms, float64), as scikit-learn's CountVectorizer
        with this vocabulary would give them (column order within a row may differ)."""
        if self.analyzer == "word":
            return self._token_counts(texts)
        return self._char_wb_counts(texts)

    def _char_wb_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Character n-grams inside words never cross a word's edge, so a text's counts
        are the sum of its words' counts: the matrix is ``C @ W``, with C the word counts
        of each text (over the batch's distinct words) and W each distinct word's n-gram
        counts (``_word_row``, memoised). Tokenising is a few passes of C-level ``map``
        over the batch's words, and scipy's sparse product (compiled) does the sums, so
        no Python code runs per n-gram and no index is sorted."""
        n = len(texts)
        split = list(map(str.split, map(str.lower, texts) if self.lowercase else texts))
        words = list(itertools.chain.from_iterable(split))
        distinct = list(dict.fromkeys(words))
        index = dict(zip(distinct, range(len(distinct)), strict=True))
        text_ptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.fromiter(map(len, split), dtype=np.int32, count=n), out=text_ptr[1:])
        word_counts = sp.csr_matrix(
            (
                np.ones(len(words)),
                np.fromiter(map(index.__getitem__, words), dtype=np.int32, count=len(words)),
                text_ptr,
            ),
            shape=(n, len(distinct)),
        )  # a repeated word is a repeated entry: the product adds them up
        cached: list[bytes | None] = list(map(self._rows.get, distinct))
        i = -1
        try:  # compute the rows not cached (found by list.index: no Python loop over hits)
            while True:
                i = cached.index(None, i + 1)
                cached[i] = self._word_row(distinct[i])
        except ValueError:
            pass
        rows = cast(list[bytes], cached)
        word_ptr = np.zeros(len(distinct) + 1, dtype=np.int64)
        np.cumsum(
            np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)) >> 3, out=word_ptr[1:]
        )
        packed = np.frombuffer(b"".join(rows), dtype=np.int64)
        index_type = np.int32 if len(packed) < 2**31 else np.int64
        word_grams = sp.csr_matrix(
            (
                (packed & 0xFFFFFFFF).astype(np.float64),
                (packed >> 32).astype(index_type),
                word_ptr.astype(index_type),
            ),
            shape=(len(distinct), len(self.terms)),
        )
        return sp.csr_matrix(word_counts @ word_grams)

    def _token_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Word n-grams join neighbouring tokens, so each text's columns are listed, and
        scipy's ``sum_duplicates`` (compiled) counts them, as CountVectorizer does."""
        indptr = [0]
        cols = array("q")
        for text in texts:
            cols.extend(self._columns(text))
            indptr.append(len(cols))
        matrix = sp.csr_matrix(
            (
                np.ones(len(cols)),
                np.frombuffer(cols, dtype=np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(texts), len(self.terms)),
        )
        matrix.sum_duplicates()
        return matrix

    def _sublinear(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Sublinear term frequencies 1 + log(count), without idf, and each row's l2 norm
        of tf x idf (1 for a row with no known n-gram, as scikit-learn leaves it zero)."""
        matrix = self.counts(texts)
        data = matrix.data
        np.log(data, out=data)
        data += 1.0
        squares = sp.csr_matrix((data * data, matrix.indices, matrix.indptr), shape=matrix.shape)
        norms = np.sqrt(squares @ self._idf_squared)
        norms[norms == 0.0] = 1.0
        return matrix, norms

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF matrix scikit-learn's fitted vectorizer would produce."""
        matrix, norms = self._sublinear(texts)
        matrix.data *= self.idf[matrix.indices]
        matrix.data /= np.repeat(norms, np.diff(matrix.indptr))
        return matrix

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores, shape (n, rows of coef): ``transform(texts) @ coef.T + intercept``,
        with the idf folded into the weights and each row's norm divided out of its scores
        rather than out of each of its n-grams."""
        matrix, norms = self._sublinear(texts)
        scores = np.asarray(matrix @ self._idf_weights)
        scores /= norms[:, None]
        scores += self.intercept
        return scores

    def decision_one(self, text: str) -> list[float]:
        """Scores of one text, computed without sparse matrices.

        Plain Python on purpose: in a server each request starts with cold CPU caches, and
        there numpy's small-array routines (sort, SIMD log) cost several times what they
        cost in a loop, while a Counter and a loop over the few hundred n-grams do not.
        """
        if len(self.coef) == 1:
            counted = Counter(self._columns(text))
            if not counted:
                return [self._b0]
            idf_w, tf = self._idf_w, _SUBLINEAR_TF
            dot = sq = 0.0
            for j, c in counted.items():
                k = j + j
                v = (tf[c] if c < _TF_TABLE else math.log(c) + 1.0) * idf_w[k]
                sq += v * v
                dot += v * idf_w[k + 1]
            return [dot / math.sqrt(sq) + self._b0]
        cols, counts = self._known_counts(text)
        if not cols:
            return self.intercept.tolist()
        idx = np.asarray(cols)
        sublinear = np.log(np.asarray(counts, dtype=np.float64)) + 1.0
        values = sublinear * self.idf[idx]
        norm = math.sqrt(float(values @ values))
        return (sublinear @ self._idf_weights[idx] / norm + self.intercept).tolist()

    # -- explanations ----------------------------------------------------------------------
    def word_contributions(self, text: str, row: int) -> list[tuple[int, int, float]]:
        """(start, end, weight) per whitespace-delimited word of ``text`` for score ``row``.

        A word's weight is the sum of coef x tf-idf over its n-grams. An n-gram seen c times
        in the text shares its (sublinear, so not additive) value equally among its c
        occurrences, so the weights of all words plus the intercept equal the score exactly.
        """
        lo, hi = self.ngram_range
        spans = []
        words = []
        for match in _WORD.finditer(text):
            word = match.group().lower() if self.lowercase else match.group()
            words.append(word)
            if self.analyzer == "char_wb":
                spans.append((match.start(), match.end(), word_ngrams(word, lo, hi)))
            else:
                spans.append((match.start(), match.end(), []))
        if self.analyzer == "word":
            return self._token_contributions(words, spans, row)
        counts = Counter(g for *_, grams in spans for g in grams)
        get = self.vocabulary.get
        value: dict[str, float] = {}
        for gram, c in counts.items():
            j = get(gram)
            if j is not None:
                value[gram] = (math.log(c) + 1.0) * float(self.idf[j])
        norm = math.sqrt(sum(v * v for v in value.values())) or 1.0
        coef = self.coef[row]
        share = {g: float(coef[get(g)]) * v / norm / counts[g] for g, v in value.items()}
        return [(start, end, sum(share.get(g, 0.0) for g in grams)) for start, end, grams in spans]

    def _token_contributions(
        self, words: list[str], spans: list[tuple[int, int, list[str]]], row: int
    ) -> list[tuple[int, int, float]]:
        """``word_contributions`` for word n-grams: an n-gram's value is shared equally by
        the tokens it joins, and a token's share goes to the whitespace word holding it."""
        lo, hi = self.ngram_range
        tokens: list[str] = []
        owner: list[int] = []
        for w, word in enumerate(words):
            found = _TOKEN.findall(word)
            tokens.extend(found)
            owner.extend([w] * len(found))
        occurrences: list[tuple[str, list[int]]] = []
        for n in range(lo, hi + 1):
            for i in range(len(tokens) - n + 1):
                occurrences.append((" ".join(tokens[i : i + n]), owner[i : i + n]))
        counts = Counter(g for g, _ in occurrences)
        get = self.vocabulary.get
        value = {
            g: (math.log(c) + 1.0) * float(self.idf[j])
            for g, c in counts.items()
            if (j := get(g)) is not None
        }
        norm = math.sqrt(sum(v * v for v in value.values())) or 1.0
        coef = self.coef[row]
        weight = [0.0] * len(words)
        for gram, owners in occurrences:
            if gram in value:
                share = float(coef[get(gram)]) * value[gram] / norm / counts[gram] / len(owners)
                for w in owners:
                    weight[w] += share
        return [(start, end, weight[w]) for w, (start, end, _) in enumerate(spans)]
