"""summary(): shapes, parameters and multiply-accumulates per layer, checked by hand."""
import numpy as np

from minidl import nn
from minidl.models import alexnet, googlenet_small, summary
from minidl.models.summary import layer_macs


def test_alexnet_summary_shows_60_97m():
    lines = []
    result = summary(alexnet(init=None), (3, 227, 227), print_fn=lines.append)
    text = lines[0]
    assert result.total_params == 60_965_224 == result.params_used
    assert "60,965,224" in text and "60.97M" in text
    rows = {r.name: r for r in result.rows}
    conv1 = rows["features.0"]
    assert conv1.output_shape == (1, 96, 55, 55)
    assert conv1.macs == 96 * 55 * 55 * 3 * 11 * 11 == 105_415_200
    conv2 = rows["features.4"]
    assert conv2.macs == 256 * 27 * 27 * 48 * 25  # groups=2: each kernel sees 48 channels
    assert rows["features.14"].output_shape == (1, 256, 6, 6)
    assert rows["classifier.0"].macs == 9216 * 4096
    assert result.total_macs == 724_406_816
    assert result.output_shape == (1, 1000)


def test_summary_leaves_the_model_as_it_was():
    net = googlenet_small(num_classes=10)
    net.train()
    result = summary(net, (1, 28, 28), print_fn=None)
    assert net.training
    assert all("forward" not in m.__dict__ for m in net.modules())
    # eval mode: the auxiliary heads do not run, but their parameters still count
    assert result.params_used < result.total_params
    assert not any(r.name.startswith("aux") for r in result.rows)
    assert any(r.name == "inception3a" and r.block for r in result.rows)


def test_layer_macs():
    conv = nn.Conv2d(8, 6, 3, groups=2)
    assert layer_macs(conv, (1, 6, 5, 5)) == 6 * 5 * 5 * 4 * 9
    assert layer_macs(nn.Linear(7, 3), (1, 3)) == 21
    assert layer_macs(nn.ReLU(), (1, 3)) == 0
    assert np.isscalar(layer_macs(conv, (1, 6, 5, 5)))


def test_summary_shows_its_table_once_in_a_repl(capsys):
    """A REPL echoes repr(result): that is the table, and summary itself prints nothing."""
    from minidl.models import alexnet_small
    result = summary(alexnet_small(), (1, 28, 28))
    assert capsys.readouterr().out == ""
    assert repr(result) == str(result) and str(result).count("Total params") == 1
    assert "features.0" in repr(result)
