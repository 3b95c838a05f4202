"""Top-k accuracy against values worked out by hand, and the running average."""
import numpy as np
import pytest

import minidl
from minidl.train.metrics import AverageMeter, accuracy, topk_correct

# 4 samples, 4 classes. Rank of the target among the scores, best first:
SCORES = np.array([[0.1, 0.6, 0.2, 0.1],    # target 1: 1st
                   [0.5, 0.1, 0.3, 0.1],    # target 2: 2nd
                   [0.1, 0.2, 0.3, 0.4],    # target 0: 4th
                   [0.3, 0.3, 0.2, 0.2]],   # target 1: tie with class 0, which wins: 2nd
                  dtype=np.float32)
TARGET = np.array([1, 2, 0, 1])


def test_topk_correct_by_hand():
    assert topk_correct(SCORES, TARGET, topk=(1, 2, 3, 4)) == [1, 3, 3, 4]


def test_accuracy_percent_and_tensors():
    acc1, acc2 = accuracy(minidl.tensor(SCORES), minidl.tensor(TARGET), topk=(1, 2))
    assert acc1 == pytest.approx(25.0) and acc2 == pytest.approx(75.0)


def test_k_larger_than_classes_counts_everything():
    assert topk_correct(SCORES, TARGET, topk=(1, 5)) == [1, 4]


def test_constant_scores_are_not_lucky():
    # all ties: the stable order picks class 0, so only targets of class 0 count at k=1
    assert topk_correct(np.zeros((3, 10)), np.array([0, 3, 9]), topk=(1,)) == [1]


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(4, 4\) and \(3,\)"):
        topk_correct(SCORES, TARGET[:3])


def test_against_torch_topk():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((200, 10)).astype(np.float32)   # continuous: no ties
    target = rng.integers(0, 10, 200)
    _, pred = torch.from_numpy(scores).topk(5, dim=1)
    hits = pred == torch.from_numpy(target)[:, None]
    expected = [int(hits[:, :k].sum()) for k in (1, 5)]
    assert topk_correct(scores, target, topk=(1, 5)) == expected


def test_average_meter_weights_by_count():
    m = AverageMeter("loss")
    assert np.isnan(m.avg)
    m.update(1.0, n=3)
    m.update(3.0, n=1)
    assert m.avg == pytest.approx(1.5) and m.count == 4 and m.last == 3.0
