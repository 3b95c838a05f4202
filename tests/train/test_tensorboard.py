"""``minidl.utils.tensorboard.SummaryWriter`` writes event files TensorBoard's own reader reads
back; ``Trainer(tensorboard=...)`` and the scripts' ``--tensorboard`` log loss, accuracy, the
learning rate and conv1's filters."""
import os
import sys

import numpy as np
import pytest

import minidl
from minidl.data import DataLoader
from minidl.optim import SGD
from minidl.train import Trainer

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from minidl.utils.tensorboard import SummaryWriter  # noqa: E402
from train_helpers import blobs, tiny_convnet  # noqa: E402


def _read(log_dir):
    acc = event_accumulator.EventAccumulator(str(log_dir), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0,
        event_accumulator.HISTOGRAMS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_every_method_reads_back(tmp_path):
    minidl.manual_seed(0)
    values = minidl.randn(1000)
    with SummaryWriter(tmp_path) as w:
        assert w.log_dir == str(tmp_path) == w.get_logdir()
        for step in range(3):
            w.add_scalar("loss", minidl.tensor(np.float32(1.5 - step)), step)   # a 0-d tensor
        w.add_scalar("plain", 0.25, 7)
        w.add_scalar("array", np.array([2.0]), 1)
        w.add_histogram("weights", values, 1)
        w.add_image("one", np.full((3, 4, 5), 0.5, np.float32), 2)               # CHW floats
        w.add_image("hwc", minidl.tensor(np.zeros((4, 5, 3), np.uint8)), 2, dataformats="HWC")
        w.add_images("batch", np.random.default_rng(0).random((6, 3, 8, 8)), 3)
        w.add_text("note", "hello minidl", 0)
        w.flush()
        w.add_scalars("acc", {"train": 80.0, "val": minidl.tensor(70.0)}, 4)
    acc = _read(tmp_path)
    assert _scalars(acc, "loss") == [(0, 1.5), (1, 0.5), (2, -0.5)]
    assert _scalars(acc, "plain") == [(7, 0.25)] and _scalars(acc, "array") == [(1, 2.0)]
    (hist,) = acc.Histograms("weights")
    assert hist.histogram_value.num == 1000
    assert hist.histogram_value.sum == pytest.approx(float(values.sum().item()), rel=1e-5)
    image = acc.Images("one")[0]
    assert (image.step, image.width, image.height) == (2, 5, 4)
    assert (acc.Images("hwc")[0].width, acc.Images("hwc")[0].height) == (5, 4)
    assert acc.Images("batch")[0].step == 3
    assert "hello minidl" in str(acc.Tensors("note/text_summary")[0].tensor_proto.string_val[0])
    # add_scalars writes one run per curve, in subfolders (tensorboardX: acc/train, acc/val)
    assert _scalars(_read(tmp_path / "acc" / "train"), "acc") == [(4, 80.0)]
    assert _scalars(_read(tmp_path / "acc" / "val"), "acc") == [(4, 70.0)]


def test_bad_values_say_what_is_wrong(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="add_scalar\\('x'\\): expected one number"):
            w.add_scalar("x", np.ones(3))
        with pytest.raises(ValueError, match="NaN"):
            w.add_histogram("h", np.array([1.0, np.nan]))


def test_a_missing_tensorboardx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)   # import fails
    with pytest.raises(ImportError, match=r"minidl\[tensorboard\]"):
        SummaryWriter(tmp_path)


def test_the_trainer_logs_loss_accuracy_lr_and_conv1(tmp_path):
    minidl.manual_seed(0)
    model = tiny_convnet()
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    train = DataLoader(blobs(48), batch_size=8, shuffle=True, seed=0)
    val = DataLoader(blobs(24, seed=1), batch_size=8)
    trainer = Trainer(model, opt, topk=(1, 2), log_every=2, progress=False, verbose=False,
                      tensorboard=str(tmp_path / "tb"))
    history = trainer.fit(train, val, epochs=2)
    trainer.tensorboard.close()
    acc = _read(tmp_path / "tb")
    assert _scalars(acc, "lr") == [(1, pytest.approx(0.05)), (2, pytest.approx(0.05))]
    for tag, key in (("loss/train", "train_loss"), ("loss/val", "val_loss"),
                     ("acc1/train", "train_acc1"), ("acc1/val", "val_acc1"),
                     ("acc2/val", "val_acc2")):
        got = _scalars(acc, tag)
        assert [s for s, _ in got] == [1, 2], tag
        np.testing.assert_allclose([v for _, v in got], [r[key] for r in history], rtol=1e-6)
    assert [s for s, _ in _scalars(acc, "iteration/loss")] == [2, 4, 6, 8, 10, 12]
    images = acc.Images("conv1/filters")
    assert [i.step for i in images] == [1, 2]
    assert (images[0].height, images[0].width) == (9, 9)   # 4 filters 3×3 in a 2×2 grid, pad 1


@pytest.mark.slow
def test_train_alexnet_with_tensorboard(tmp_path):
    """The script as a person runs it: --tensorboard writes events into the run's folder."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples"))
    from script_helpers import run_script
    from test_data_detection import make_idx
    make_idx(tmp_path)
    run_script("train_alexnet.py", "--data", tmp_path, "--epochs", 1, "-b", 8, "--out",
               tmp_path / "run", "--tensorboard", "--no-progress")
    acc = _read(tmp_path / "run")
    tags = set(acc.Tags()["scalars"])
    assert {"loss/train", "loss/val", "acc1/val", "acc5/val", "lr"} <= tags
    assert acc.Images("conv1/filters")
