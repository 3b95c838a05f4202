"""Fine-tuning as PyTorch's tutorial does it, checked against torch; and minidl.transfer."""
import copy

import numpy as np
import pytest

import minidl
from minidl import models, nn, transfer
from minidl.data import DataLoader, TensorDataset
from minidl.optim import SGD


def _small_alexnet(seed=0, classes=10):
    minidl.manual_seed(seed)
    return models.alexnet_small(num_classes=classes)


def _x(n=4, seed=0):
    return minidl.tensor(np.random.default_rng(seed).standard_normal((n, 1, 28, 28))
                         .astype(np.float32))


# -- PyTorch's workflow, unchanged --------------------------------------------------------
def test_frozen_parameters_get_no_grad_and_sgd_skips_them_as_torch():
    torch = pytest.importorskip("torch")
    a = nn.Linear(3, 4)
    b = nn.Linear(4, 2)
    ta, tb = torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)
    with torch.no_grad():
        for m, t in ((a, ta), (b, tb)):
            t.weight.copy_(torch.from_numpy(m.weight.detach().numpy()))
            t.bias.copy_(torch.from_numpy(m.bias.detach().numpy()))
    for p in a.parameters():
        p.requires_grad_(False)
    for p in ta.parameters():
        p.requires_grad_(False)
    params = list(a.parameters()) + list(b.parameters())
    tparams = list(ta.parameters()) + list(tb.parameters())
    opt = SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01)
    topt = torch.optim.SGD(tparams, lr=0.1, momentum=0.9, weight_decay=0.01)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    frozen_before = a.weight.detach().numpy().copy()
    for _ in range(2):
        opt.zero_grad()
        topt.zero_grad()
        b(a(minidl.tensor(x))).sum().backward()
        tb(ta(torch.from_numpy(x))).sum().backward()
        opt.step()
        topt.step()
    assert a.weight.grad is None and ta.weight.grad is None
    assert np.array_equal(a.weight.detach().numpy(), frozen_before)   # not even weight decay
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_replacing_the_head_as_the_tutorial_does():
    net = _small_alexnet()
    net.classifier[6] = nn.Linear(512, 3)
    assert net(_x(2)).shape == (2, 3)
    assert net.state_dict()["classifier.6.weight"].shape == (3, 512)
    assert net.get_classifier() is net.classifier[6]


def test_load_state_dict_strict_false_reports_keys_as_torch():
    torch = pytest.importorskip("torch")
    src = {"0.weight": np.zeros((4, 3), np.float32), "0.bias": np.zeros(4, np.float32),
           "extra.weight": np.zeros(1, np.float32)}
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    got = net.load_state_dict(src, strict=False)
    want = tnet.load_state_dict({k: torch.from_numpy(v) for k, v in src.items()}, strict=False)
    assert got.missing_keys == want.missing_keys == ["2.weight", "2.bias"]
    assert got.unexpected_keys == want.unexpected_keys == ["extra.weight"]
    assert np.array_equal(net[0].weight.detach().numpy(), np.zeros((4, 3)))


def test_param_groups_give_the_backbone_a_tenth_of_the_rate_as_torch():
    torch = pytest.importorskip("torch")
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for k, v in net.state_dict().items():
            tnet.state_dict()[k].copy_(torch.from_numpy(v.numpy()))
    groups = transfer.param_groups(net, lr_backbone=0.01, lr_head=0.1, head=net[2], momentum=0.9)
    assert [g["lr"] for g in groups] == [0.01, 0.1]
    opt = SGD(groups)
    topt = torch.optim.SGD([{"params": tnet[0].parameters(), "lr": 0.01},
                            {"params": tnet[2].parameters(), "lr": 0.1}], momentum=0.9)
    x = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        (net(minidl.tensor(x)) ** 2).sum().backward()
        (tnet(torch.from_numpy(x)) ** 2).sum().backward()
        opt.step()
        topt.step()
    for k, v in net.state_dict().items():
        np.testing.assert_allclose(v.numpy(), tnet.state_dict()[k].numpy(), rtol=1e-5, atol=1e-6)


# -- get_classifier / reset_classifier ----------------------------------------------------
@pytest.mark.parametrize("build, in_features", [
    (lambda: models.alexnet_small(num_classes=10), 512),
    (lambda: models.vgg_small("A", num_classes=10), 512),
    (lambda: models.vgg11(num_classes=10, width=1 / 16), 256),
    (lambda: models.AlexNet(10, 3, 63, channels=(8, 8, 8, 8, 8), hidden=32, conv1=(11, 4, 2)),
     32),
])
def test_reset_classifier_on_alexnet_and_vgg(build, in_features):
    net = build()
    head = net.reset_classifier(5)
    assert net.get_classifier() is head and isinstance(head, nn.Linear)
    assert (head.in_features, head.out_features) == (in_features, 5)
    assert all(p.requires_grad for p in head.parameters())
    net.reset_classifier(0)
    assert isinstance(net.get_classifier(), nn.Identity)
    assert net.reset_classifier(7).in_features == in_features   # back from Identity


def test_reset_classifier_alexnet_torchvision():
    net = models.AlexNetTorchvision(num_classes=10)
    assert net.get_classifier() is net.classifier[6]
    assert net.reset_classifier(3).weight.shape == (3, 4096)


@pytest.mark.parametrize("aux", [True, False])
def test_reset_classifier_googlenet_resets_the_aux_heads(aux):
    net = models.googlenet_small(num_classes=10, aux_logits=aux)
    net.reset_classifier(4)
    assert net.get_classifier() is net.fc and net.fc.out_features == 4
    net.train()
    out = net(_x(2))
    shapes = [o.shape for o in out] if aux else [out.shape]
    assert shapes == [(2, 4)] * (3 if aux else 1)
    assert len(net.aux_classifiers()) == (2 if aux else 0)


def test_reset_classifier_rejects_a_bad_count():
    with pytest.raises(ValueError, match="non-negative int"):
        _small_alexnet().reset_classifier(-1)


# -- freeze / unfreeze -------------------------------------------------------------------
def test_freeze_until_is_inclusive_and_keeps_frozen_layers_in_eval():
    net = _small_alexnet()
    names = transfer.freeze(net, until="classifier.2")   # fc6 and the dropout after it
    assert names[-2:] == ["classifier.0.weight", "classifier.0.bias"]
    assert transfer.frozen_parameters(net) == names
    net.train()   # what every training loop calls each epoch
    assert not net.classifier[2].training and net.classifier[5].training
    assert not net.features[0].training and net.training
    transfer.unfreeze(net)
    assert not transfer.frozen_parameters(net) and net.classifier[2].training
    net.eval()
    assert not net.classifier[2].training


def test_frozen_dropout_is_off_in_training_mode():
    net = _small_alexnet()
    transfer.freeze(net, until="classifier.5")   # everything up to fc7's dropout
    net.train()
    x = _x(3)
    a, b = net(x).detach().numpy(), net(x).detach().numpy()
    assert np.array_equal(a, b)   # no dropout left running
    plain = _small_alexnet()
    transfer.freeze(plain, until="classifier.5", eval_mode=False)   # PyTorch's plain freeze
    plain.train()
    assert not np.array_equal(plain(x).detach().numpy(), plain(x).detach().numpy())


def test_frozen_part_gets_no_grad_and_deepcopy_keeps_the_freeze():
    net = _small_alexnet()
    transfer.freeze(net, until="features")
    net(_x(2)).sum().backward()
    assert all(p.grad is None for p in net.features.parameters())
    assert all(p.grad is not None for p in net.classifier.parameters())
    twin = copy.deepcopy(net)
    twin.train()
    net.eval()
    assert not twin.features[0].training and twin.classifier[0].training
    net.train()
    assert not twin.features[0].training


def test_googlenet_freeze_keeps_its_heads_trainable():
    net = models.googlenet_small(num_classes=10)
    transfer.freeze(net, until="inception5b")
    trainable = {n.rsplit(".", 1)[0] for n, p in net.named_parameters() if p.requires_grad}
    assert trainable == {"aux1.conv.conv", "aux1.fc1", "aux1.fc2", "aux2.conv.conv", "aux2.fc1",
                         "aux2.fc2", "fc"}
    transfer.unfreeze(net)
    frozen = transfer.freeze(net, keep=["fc", "aux1.fc2", "aux2.fc2"])
    assert "aux1.fc1.weight" in frozen and "fc.weight" not in frozen
    net.train()
    assert net.fc.training and not net.aux1.fc1.training and not net.aux1.dropout.training
    groups = transfer.param_groups(net, 0.001, 0.01)
    assert len(groups) == 1 and groups[0]["lr"] == 0.01 and len(groups[0]["params"]) == 6


def test_freeze_names_an_unknown_layer():
    with pytest.raises(ValueError, match=r"no layer 'features\.99'.*features\.0"):
        transfer.freeze(_small_alexnet(), until="features.99")


# -- load_pretrained ---------------------------------------------------------------------
def test_load_pretrained_skips_the_mismatched_head(tmp_path):
    src = _small_alexnet(seed=1, classes=10)
    path = str(tmp_path / "src.safetensors")
    minidl.checkpoint.save_checkpoint(path, model=src)
    dst = _small_alexnet(seed=2, classes=5)
    head_before = dst.classifier[6].weight.detach().numpy().copy()
    r = transfer.load_pretrained(dst, path)
    assert set(r.skipped) == {"classifier.6.weight", "classifier.6.bias"}
    assert "shape (10, 512)" in r.skipped["classifier.6.weight"]
    assert r.missing == ["classifier.6.weight", "classifier.6.bias"]
    assert np.array_equal(dst.features[0].weight.detach().numpy(),
                          src.features[0].weight.detach().numpy())
    assert np.array_equal(dst.classifier[6].weight.detach().numpy(), head_before)
    r = transfer.load_pretrained(_small_alexnet(classes=10), src.state_dict(),
                                 skip=("classifier.3", "classifier.6"))
    assert len(r.loaded) == 12 and len(r.skipped) == 4
    with pytest.raises(ValueError, match="classifier.6.weight has shape"):
        transfer.load_pretrained(dst, path, skip_mismatched=False)


# -- extract_features / train_linear -----------------------------------------------------
def _loader(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 3, n)
    return DataLoader(TensorDataset(minidl.tensor(x), minidl.tensor(y)), batch_size=10), x, y


def test_extract_features_is_the_layers_output_in_eval_and_stops_there():
    net = _small_alexnet()
    loader, x, y = _loader()
    calls = []
    net.classifier[6].register_forward_hook(lambda m, a, o: calls.append(1))
    net.train()
    feats, labels = transfer.extract_features(net, loader, "classifier.4")
    assert not calls   # fc8 never ran
    assert net.training and net.classifier[2].training   # modes restored
    assert feats.shape == (24, 512) and feats.dtype == np.float32
    assert np.array_equal(labels, y)
    net.eval()
    with minidl.no_grad():
        want = net.classifier[:5](minidl.flatten(net.features(minidl.tensor(x)), 1)).numpy()
    np.testing.assert_allclose(feats, want, rtol=1e-4, atol=1e-5)   # batches of 10 vs 24
    maps, _ = transfer.extract_features(net, loader, "features", flatten=False)
    assert maps.shape == (24, 64, 2, 2)


def test_train_linear_separates_separable_features():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 20)) * 3 + 50   # far from 0: standardisation matters
    y = rng.integers(0, 4, 400)
    x = (centres[y] + rng.standard_normal((400, 20))).astype(np.float32)
    head = transfer.train_linear(x[:300], y[:300], 4, epochs=10)
    assert transfer.accuracy(head, x[300:], y[300:]) > 95
    with pytest.raises(ValueError, match="labels must lie in 0..3"):
        transfer.train_linear(x, y + 1, 4)
