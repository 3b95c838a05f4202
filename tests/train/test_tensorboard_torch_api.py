"""PyTorch's SummaryWriter calls, typed as a PyTorch user types them, give minidl's writer
the same event contents that ``torch.utils.tensorboard`` writes (read back by TensorBoard)."""
import pytest

import minidl

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
torch_tb = pytest.importorskip("torch.utils.tensorboard")
from minidl.utils.tensorboard import SummaryWriter  # noqa: E402


def _acc(path):
    acc = event_accumulator.EventAccumulator(str(path))
    acc.Reload()
    return acc


def _write(writer_cls, tensor, path):
    with writer_cls(str(path)) as w:
        w.add_scalar("loss", tensor(0.5), global_step=1, walltime=100.0)
        w.add_scalar("loss", 0.25, global_step=2, walltime=101.0, new_style=False,
                     double_precision=False)
        w.add_scalar("acc", 0.75, 3, new_style=True)
        w.add_text("note", "hi", global_step=0, walltime=99.0)


def test_scalars_with_torchs_keywords_read_back_like_torchs(tmp_path):
    import torch
    _write(torch_tb.SummaryWriter, torch.tensor, tmp_path / "torch")
    _write(SummaryWriter, minidl.tensor, tmp_path / "minidl")
    t, m = _acc(tmp_path / "torch"), _acc(tmp_path / "minidl")

    def points(acc, tag):
        if tag in acc.Tags()["scalars"]:
            return [(e.wall_time, e.step, e.value) for e in acc.Scalars(tag)]
        # new_style: PyTorch stores the point as a tensor summary
        return [(e.wall_time, e.step, float(e.tensor_proto.float_val[0]))
                for e in acc.Tensors(tag)]
    assert points(m, "loss") == points(t, "loss") == [(100.0, 1, 0.5), (101.0, 2, 0.25)]
    assert [p[1:] for p in points(m, "acc")] == [p[1:] for p in points(t, "acc")] == [(3, 0.75)]


def test_add_hparams_and_add_figure(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.1, "bs": 32}, {"hparam/acc": minidl.tensor(0.9)}, run_name="r1")
        fig = plt.figure()
        plt.plot([0, 1], [1, 0])
        w.add_figure("curve", fig, global_step=4)
        with pytest.raises(NotImplementedError, match="hparam_domain_discrete"):
            w.add_hparams({"opt": "sgd"}, {"hparam/acc": 1.0}, hparam_domain_discrete={"opt": ["sgd"]})
    image = _acc(tmp_path).Images("curve")[0]
    assert image.step == 4 and image.width > 0
    run = _acc(tmp_path / "r1")
    assert [(e.step, e.value) for e in run.Scalars("hparam/acc")] == [(0, pytest.approx(0.9))]
