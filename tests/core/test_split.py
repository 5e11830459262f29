"""Train/validation splits: seeded, complete, and stratified for classification."""

from collections import Counter

from ftstudio.core.data.bundle import split_indices


def test_stratified_split_keeps_every_class_on_both_sides():
    labels = [0] * 40 + [1] * 6 + [2] * 2
    train, val = split_indices(len(labels), 0.2, seed=3, labels=labels)
    assert sorted(train + val) == list(range(len(labels)))
    assert Counter(labels[i] for i in val) == {0: 8, 1: 1, 2: 1}
    assert set(labels[i] for i in train) == {0, 1, 2}


def test_split_is_seeded():
    labels = [i % 3 for i in range(30)]
    assert split_indices(30, 0.3, 1, labels) == split_indices(30, 0.3, 1, labels)
    assert split_indices(30, 0.3, 1, labels) != split_indices(30, 0.3, 2, labels)


def test_unstratified_split_for_regression_sizes():
    train, val = split_indices(10, 0.2, seed=0)
    assert len(val) == 2 and sorted(train + val) == list(range(10))
