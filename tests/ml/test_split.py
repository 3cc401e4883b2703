from collections import Counter

import numpy as np
import pytest

from tagloop.ml.split import cross_validation_folds, normalise_text, train_test_split_indices


def _data(n_ham: int = 80, n_spam: int = 20) -> tuple[list[str], list[str]]:
    texts = [f"ham message {i}" for i in range(n_ham)] + [f"spam offer {i}" for i in range(n_spam)]
    return texts, ["ham"] * n_ham + ["spam"] * n_spam


def test_split_is_stratified_disjoint_and_complete():
    texts, labels = _data()
    train, test = train_test_split_indices(texts, labels, test_size=0.2, seed=0)
    assert sorted([*train, *test]) == list(range(len(texts)))
    assert Counter(labels[i] for i in test) == {"ham": 16, "spam": 4}


def test_split_is_reproducible_with_the_seed():
    texts, labels = _data()
    a = train_test_split_indices(texts, labels, seed=3)
    b = train_test_split_indices(texts, labels, seed=3)
    c = train_test_split_indices(texts, labels, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


def test_duplicates_land_on_the_same_side():
    texts, labels = _data()
    # Variants of the same message differing only in case and whitespace.
    texts += ["Spam  OFFER 3", "spam offer 3 ", "HAM message 7", "ham\tmessage 7"]
    labels += ["spam", "spam", "ham", "ham"]
    for seed in range(20):
        train, _ = train_test_split_indices(texts, labels, seed=seed)
        side = {i: i in set(train.tolist()) for i in range(len(texts))}
        for key in ("spam offer 3", "ham message 7"):
            sides = {side[i] for i, t in enumerate(texts) if normalise_text(t) == key}
            assert len(sides) == 1


def test_split_on_the_sms_corpus_never_tests_a_trained_text(sms):
    train, test = train_test_split_indices(sms.texts, sms.labels, test_size=0.2, seed=0)
    seen = {normalise_text(sms.texts[i]) for i in train}
    assert not any(normalise_text(sms.texts[i]) in seen for i in test)
    share = Counter(sms.labels[i] for i in test)["spam"] / len(test)
    assert share == pytest.approx(602 / 4456, abs=0.01)


def test_folds_partition_the_rows_keep_groups_and_stratify(sms):
    folds = cross_validation_folds(sms.texts, sms.labels, k=5, seed=1)
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(sms.rows))
    fold_of = {i: f for f, (_, test) in enumerate(folds) for i in test}
    by_text: dict[str, set[int]] = {}
    for i, text in enumerate(sms.texts):
        by_text.setdefault(normalise_text(text), set()).add(fold_of[i])
    assert all(len(f) == 1 for f in by_text.values())
    for train, test in folds:
        assert set(train.tolist()).isdisjoint(test.tolist())
        spam = sum(sms.labels[i] == "spam" for i in test)
        assert abs(spam - 602 / 5) <= 3


def test_invalid_arguments_are_refused():
    texts, labels = _data()
    with pytest.raises(ValueError, match="test_size"):
        train_test_split_indices(texts, labels, test_size=1.5)
    with pytest.raises(ValueError, match="labels"):
        train_test_split_indices(texts, labels[:-1])
    with pytest.raises(ValueError, match="folds"):
        cross_validation_folds(texts, labels, k=1)
