"""What a PyTorch user types, checked against PyTorch itself: dtype spellings, the random
factories and in-place fills that ``manual_seed`` governs."""
import numpy as np
import pytest

import minidl

torch = pytest.importorskip("torch")


def test_bool_and_int_dtypes_are_torchs():
    assert minidl.bool == minidl.bool_
    assert minidl.int == minidl.int32 and torch.int == torch.int32
    x = np.array([1.5, -2.0, 0.0], dtype=np.float32)
    m = minidl.tensor(x).to(minidl.bool)
    t = torch.tensor(x).to(torch.bool)
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert repr(minidl.tensor([1, 2], dtype=minidl.int)) == \
        repr(torch.tensor([1, 2], dtype=torch.int)).replace("torch", "minidl")
    assert (minidl.zeros(2) > 0).dtype == minidl.bool


@pytest.mark.parametrize("args", [(10, (3,)), (2, 5, (2, 2)), (-3, 4, [5])])
def test_randint_signature_range_and_dtype_as_torch(args):
    t = torch.randint(*args)
    m = minidl.randint(*args)
    assert m.shape == tuple(t.shape) and str(m.dtype) == str(t.dtype).replace("torch.", "")
    low, high = (0, args[0]) if len(args) == 2 else args[:2]
    assert m.numpy().min() >= low and m.numpy().max() < high
    with pytest.raises(RuntimeError):
        torch.randint(5, 5, (2,))
    with pytest.raises(RuntimeError, match="low < high"):
        minidl.randint(5, 5, (2,))


def test_randperm_is_a_permutation_with_torchs_dtype():
    m, t = minidl.randperm(7), torch.randperm(7)
    assert sorted(m.numpy().tolist()) == sorted(t.numpy().tolist()) == list(range(7))
    assert str(m.dtype) == str(t.dtype).replace("torch.", "")


def test_manual_seed_governs_randint_randperm_and_inplace_fills():
    def draws():
        minidl.manual_seed(11)
        return [minidl.randint(0, 100, (6,)).numpy(), minidl.randperm(9).numpy(),
                minidl.empty(5).normal_(0, 0.01).numpy(), minidl.empty(5).uniform_(-1, 1).numpy()]
    first, second = draws(), draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    g = minidl.Generator().manual_seed(3)
    minidl.manual_seed(11)
    assert not np.array_equal(minidl.randperm(9, generator=g).numpy(), first[1]) or \
        not np.array_equal(minidl.randint(0, 100, (6,), generator=g).numpy(), first[0])


@pytest.mark.parametrize("lib", [torch, minidl], ids=["torch", "minidl"])
def test_inplace_normal_uniform_follow_torchs_rules(lib):
    w = lib.empty(2000, dtype=lib.float64)
    assert w.normal_(1.0, 0.5) is w
    assert abs(float(w.mean()) - 1.0) < 0.05 and abs(float(w.std()) - 0.5) < 0.05
    u = lib.zeros(2000).uniform_(-2, -1)
    assert float(u.min()) >= -2 and float(u.max()) < -1
    assert float(lib.zeros(100).uniform_(**{"from": 3, "to": 4}).min()) >= 3
    p = lib.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        p.normal_()
    with lib.no_grad():
        p.uniform_(0, 1)
    assert p.requires_grad and float(p.detach().min()) >= 0


@pytest.mark.parametrize("suffix", [".pt", ".pth"])
def test_save_to_a_file_opened_under_a_torch_name_writes_torchs_format(tmp_path, suffix):
    path = tmp_path / f"net{suffix}"
    sd = {"w": minidl.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)), "epoch": 3}
    with open(path, "wb") as f:
        minidl.save(sd, f)
    got = torch.load(path, weights_only=True)
    assert got["epoch"] == 3
    np.testing.assert_array_equal(got["w"].numpy(), sd["w"].numpy())
    back = minidl.load(path)
    np.testing.assert_array_equal(back["w"].numpy(), sd["w"].numpy())


@pytest.mark.parametrize("lib", [torch, minidl], ids=["torch", "minidl"])
def test_as_tensor_shares_where_it_can(lib):
    a = np.zeros(3)                                   # float64: kept, and shared
    t = lib.as_tensor(a, device="cpu")
    a[0] = 5
    assert float(t[0]) == 5 and str(t.dtype).endswith("float64")
    b = np.zeros(3, np.float32)
    u = lib.as_tensor(b, dtype=lib.float64)           # another dtype: a copy
    b[0] = 5
    assert float(u[0]) == 0 and str(u.dtype).endswith("float64")
    x = lib.ones(2)
    assert lib.as_tensor(x) is x and lib.as_tensor(x, dtype=lib.float32, device="cpu") is x
    assert str(lib.as_tensor([1, 2]).dtype).endswith("int64")
    assert str(lib.as_tensor([1.0, 2.0]).dtype).endswith("float32")


def test_torch_utils_data_submodule_paths_import_the_same_objects():
    """``from torch.utils.data.dataloader import default_collate`` and the like, in a fresh
    interpreter (the import order is the point), give minidl.data's own objects."""
    import subprocess
    import sys
    lines = ["from {m}.utils.data.dataloader import default_collate, DataLoader",
             "from {m}.utils.data.dataset import TensorDataset, Dataset",
             "from {m}.utils.data.sampler import RandomSampler, SequentialSampler"]
    exec("; ".join(line.format(m="torch") for line in lines), {})   # PyTorch has these paths
    code = "; ".join(line.format(m="minidl") for line in lines) + (
        "; import minidl.data as d"
        "; assert DataLoader is d.DataLoader and TensorDataset is d.TensorDataset"
        "; assert default_collate is d.default_collate and RandomSampler is d.RandomSampler")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("lib", [torch, minidl], ids=["torch", "minidl"])
def test_assigning_a_tensor_to_data_swaps_the_values(lib):
    """``p.data = t`` (PyTorch's way to replace a parameter's values): forward, backward and an
    optimizer step then work on the new values, and the parameter stays a parameter."""
    layer = lib.nn.Linear(2, 2)
    with lib.no_grad():
        layer.bias.zero_()
    layer.weight.data = lib.ones(2, 2)
    layer(lib.ones(1, 2)).sum().backward()
    lib.optim.SGD(layer.parameters(), lr=0.1).step()
    np.testing.assert_allclose(layer.weight.detach().numpy(), np.full((2, 2), 0.9), rtol=1e-6)
    assert layer.weight.requires_grad and isinstance(layer.weight, lib.nn.Parameter)
    layer.weight.data = lib.zeros(3, 2)
    assert tuple(layer.weight.shape) == (3, 2)


class _SeedOfWorker:
    """A dataset whose items are ``initial_seed() - worker id`` where they are fetched."""

    def __init__(self, lib, get_worker_info):
        self.lib, self.info = lib, get_worker_info

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.lib.tensor((self.lib.initial_seed() - self.info().id) % 2 ** 31)


def _worker_bases(lib, data):
    lib.manual_seed(7)
    loader = data.DataLoader(_SeedOfWorker(lib, data.get_worker_info), batch_size=1,
                             num_workers=2)
    return {int(v) for b in loader for v in b.reshape(-1).tolist()}


def test_initial_seed_and_seed_as_torch():
    import minidl.utils.data as data
    minidl.manual_seed(123)
    torch.manual_seed(123)
    assert minidl.initial_seed() == torch.initial_seed() == 123
    s = minidl.seed()
    assert minidl.initial_seed() == s and isinstance(s, type(torch.seed()))
    # in a worker, initial_seed() is the loader's base seed + the worker's id (as PyTorch's),
    # and the base is the same after the same manual_seed
    for lib, lib_data in ((minidl, data), (torch, torch.utils.data)):
        first = _worker_bases(lib, lib_data)
        assert len(first) == 1 and first == _worker_bases(lib, lib_data)


def _two_input_module(lib):
    class Two(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(4, 3)

        def forward(self, a, b, c=None):
            return self.lin(a) * b
    return Two()


def test_full_backward_hook_grad_input_entries_as_torch():
    """A tensor argument without grad: zeros once another argument requires grad, None when
    none does; a non-tensor argument: None (PyTorch 2.x's BackwardHookFunction)."""
    seen = {}
    for lib in (minidl, torch):
        m = _two_input_module(lib)
        with lib.no_grad():
            m.lin.weight.copy_(lib.tensor(np.arange(12, dtype=np.float32).reshape(3, 4) / 10))
            m.lin.bias.zero_()
        log = seen[lib.__name__] = []
        m.register_full_backward_hook(lambda mod, gi, go, log=log: log.append(
            [None if g is None else g.detach().numpy().copy() for g in gi]))
        m(lib.ones(2, 4), lib.ones(2, 3, requires_grad=True)).sum().backward()
        m(lib.ones(2, 4), lib.ones(2, 3, requires_grad=True), 3).sum().backward()
    for got, want in zip(seen["minidl"], seen["torch"]):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert (g is None) == (w is None)
            if g is not None:
                np.testing.assert_allclose(g, w, rtol=1e-6)
