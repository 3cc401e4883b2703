"""Which unlabelled texts to ask a person about first (active learning), as an order.

* **Before any model** (``diverse_order``): the texts are clustered in TF-IDF space
  (MiniBatchKMeans, about √n clusters, at most ``MAX_CLUSTERS``) and the order takes one
  text from each cluster in turn, biggest cluster first, each cluster's texts nearest its
  centre first. The first labels therefore cover the kinds of text the pile holds instead
  of the file's first rows.
* **Before any model, from the first labels** (``order_by_labels``): once two labels
  have an item, ``provisional_proba`` — logistic regression with balanced class weights on
  TF-IDF words, fitted on the labels so far in milliseconds — stands in for the model in
  ``uncertain_order``, so the early labels go where the labels so far disagree (and a rare
  label's likely members come up) instead of to the rest of the diverse sample.
* **With a model** (``uncertain_order``): the texts the model is least sure of come first,
  by *margin* (top probability minus the second). Within the uncertain head of the queue a
  text is held back while another of its cluster was among the last ``WINDOW`` picks, so a
  batch of twenty is not twenty near-copies. Every ``1/RANDOM_SHARE``-th position (20%)
  is a text drawn at random from the rest instead: labels that the model did not choose keep
  the held-out estimates honest and let it find what it does not know it gets wrong.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import numpy as np

MAX_CLUSTERS = 100
RANDOM_SHARE = 0.2
WINDOW = 8  # picks during which a cluster is held back once used
HEAD = 2_000  # how much of the uncertain order is spread over clusters
FIT_SAMPLE = 10_000


def clusters(texts: Sequence[str], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each text's cluster and its distance to the cluster's centre."""
    n = len(texts)
    k = max(1, min(MAX_CLUSTERS, round(math.sqrt(n)), n))
    if n < 3:
        return np.zeros(n, dtype=np.int64), np.zeros(n)
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(sublinear_tf=True, max_features=20_000).fit_transform(texts)
    # The centres are learnt on a sample: as good for ordering, and seconds for 100k texts.
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, FIT_SAMPLE), replace=False)
    model = MiniBatchKMeans(
        n_clusters=k, random_state=seed, n_init=1, batch_size=1024, max_iter=30
    ).fit(vectors[sample])
    distances = model.transform(vectors)
    labels = distances.argmin(axis=1).astype(np.int64)
    return labels, distances[np.arange(n), labels]


def diverse_order(texts: Sequence[str], seed: int = 0) -> np.ndarray:
    """Indices of ``texts``: round robin over clusters, central texts first."""
    labels, distance = clusters(texts, seed)
    members: dict[int, deque[int]] = {}
    for i in np.lexsort((np.arange(len(texts)), distance)):
        members.setdefault(int(labels[i]), deque()).append(int(i))
    groups = sorted(members.values(), key=len, reverse=True)
    order: list[int] = []
    while groups:
        for group in groups:
            order.append(group.popleft())
        groups = [g for g in groups if g]
    return np.array(order, dtype=np.int64)


def queue_order(texts: Sequence[str], proba: np.ndarray | None, seed: int = 0) -> np.ndarray:
    """The labelling queue over ``texts`` (the open items): ``diverse_order`` before any
    model (``proba`` None), else ``uncertain_order`` over the texts' clusters."""
    if proba is None:
        return diverse_order(texts, seed)
    return uncertain_order(proba, clusters(texts, seed)[0], seed)


def margins(proba: np.ndarray) -> np.ndarray:
    """Top probability minus the second: near 0 = the model cannot decide."""
    if proba.shape[1] < 2:
        return np.ones(proba.shape[0])
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def uncertain_order(
    proba: np.ndarray,
    cluster_of: np.ndarray,
    seed: int = 0,
    random_share: float = RANDOM_SHARE,
) -> np.ndarray:
    """Indices by rising margin, spread over clusters, with a ``random_share`` of random
    picks interleaved (see the module docstring)."""
    n = proba.shape[0]
    by_margin = np.lexsort((np.arange(n), margins(proba)))
    head = _spread(by_margin[:HEAD], cluster_of)
    uncertain = [*head, *by_margin[HEAD:].tolist()]
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(n).tolist()
    every = round(1 / random_share) if random_share > 0 else 0
    used = np.zeros(n, dtype=bool)
    order: list[int] = []
    u = r = 0
    while len(order) < n:
        take_random = every and len(order) % every == every - 1
        source, pos = (shuffled, r) if take_random else (uncertain, u)
        while pos < n and used[source[pos]]:
            pos += 1
        if pos >= n:  # that source is used up: the other one has the rest
            source, pos = (uncertain, u) if take_random else (shuffled, r)
            while used[source[pos]]:
                pos += 1
            take_random = not take_random
        used[source[pos]] = True
        order.append(int(source[pos]))
        if take_random:
            r = pos + 1
        else:
            u = pos + 1
    return np.array(order, dtype=np.int64)


def _spread(candidates: np.ndarray, cluster_of: np.ndarray) -> list[int]:
    """Keep the candidates' order, but hold one back while its cluster was recently used."""
    pending = deque(int(i) for i in candidates)
    recent: deque[int] = deque(maxlen=min(WINDOW, max(len(set(cluster_of.tolist())) - 1, 0)))
    out: list[int] = []
    while pending:
        pick = next((j for j, i in enumerate(pending) if cluster_of[i] not in recent), 0)
        item = pending[pick]
        del pending[pick]
        out.append(item)
        if recent.maxlen:
            recent.append(int(cluster_of[item]))
    return out


def provisional_proba(
    texts: Sequence[str], labelled_texts: Sequence[str], labels: Sequence[str]
) -> np.ndarray | None:
    """Before any model: how likely each of ``texts`` is to have each label (columns in
    sorted label order), by a quick scorer fitted on the labels so far — logistic regression
    (balanced class weights, so a rare label found twice counts as much as a common one
    found fifty times) on TF-IDF words of the texts and the labelled ones. None while fewer
    than two labels have an item. Milliseconds for a few hundred labels; the TF-IDF of the
    texts dominates (seconds for 100,000)."""
    if len(set(labels)) < 2 or not texts:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=20_000)
    vectorizer.fit([*texts, *labelled_texts])
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1_000)
    model.fit(vectorizer.transform(labelled_texts), list(labels))
    return np.asarray(model.predict_proba(vectorizer.transform(texts)))


def order_by_labels(
    texts: Sequence[str], labelled_texts: Sequence[str], labels: Sequence[str], seed: int = 0
) -> np.ndarray:
    """The queue before any model: ``queue_order`` by the ``provisional_proba`` of the labels
    given so far, the diverse order while fewer than two labels have an item."""
    return queue_order(texts, provisional_proba(texts, labelled_texts, labels), seed)
