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

import math
import re
from array import array
from collections import Counter
from collections.abc import Sequence

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
        # Column-major weights (term -> its row of coefficients): one gather per term.
        self._weights = np.ascontiguousarray(self.coef.T)
        self._b0 = float(self.intercept[0])
        self._cache: dict[str, list[int]] = {}
        self._arrays: dict[str, array[int]] = {}  # the same columns, for batches

    # -- tokenising -------------------------------------------------------------------------
    def _word_columns(self, word: str) -> list[int]:
        """Vocabulary columns of a word's n-grams, with repeats; memoised per word.

        Words repeat across messages far more than messages do, so caching per word makes
        tokenising a message mostly a few dict hits instead of hundreds of slices.
        """
        cols = self._cache.get(word)
        if cols is None:
            lo, hi = self.ngram_range
            get = self.vocabulary.get
            cols = [j for j in map(get, word_ngrams(word, lo, hi)) if j is not None]
            if len(word) <= _CACHE_MAX_WORD:
                if len(self._cache) >= _CACHE_WORDS:
                    self._cache.clear()  # crude but bounded; refills with the common words
                self._cache[word] = cols
        return cols

    def _word_array(self, word: str) -> array[int]:
        """``_word_columns`` as a machine array: a batch appends these to one buffer with a
        memory copy each and hands it to numpy as is, where converting a list of Python
        ints cost as much as collecting them."""
        cols = self._arrays.get(word)
        if cols is None:
            cols = array("q", self._word_columns(word))
            if len(word) <= _CACHE_MAX_WORD:
                if len(self._arrays) >= _CACHE_WORDS:
                    self._arrays.clear()
                self._arrays[word] = cols
        return cols

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
    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF matrix scikit-learn's fitted vectorizer would produce.

        Every n-gram occurrence goes into one CSR matrix as a 1, and scipy's
        ``sum_duplicates`` (compiled, row by row) turns them into counts, as scikit-learn's
        CountVectorizer does: a Counter per text cost twice as much for a batch.
        """
        indptr = [0]
        cols = array("q")
        if self.analyzer == "word":
            for text in texts:
                cols.extend(self._columns(text))
                indptr.append(len(cols))
        else:
            cached, miss = self._arrays.get, self._word_array
            for text in texts:
                for word in (text.lower() if self.lowercase else text).split():
                    cols += cached(word) or miss(word)
                indptr.append(len(cols))
        n = len(texts)
        matrix = sp.csr_matrix(
            (
                np.ones(len(cols)),
                np.frombuffer(cols, dtype=np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(n, len(self.terms)),
        )
        matrix.sum_duplicates()
        data = matrix.data
        np.log(data, out=data)
        data += 1.0
        data *= self.idf[matrix.indices]
        rows = np.repeat(np.arange(n), np.diff(matrix.indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0
        data /= norms[rows]
        return matrix

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores, shape (n, rows of coef)."""
        return np.asarray(self.transform(texts) @ self._weights) + self.intercept

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
        values = (np.log(np.asarray(counts, dtype=np.float64)) + 1.0) * self.idf[idx]
        values /= math.sqrt(float(values @ values))
        return (values @ self._weights[idx] + self.intercept).tolist()

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
