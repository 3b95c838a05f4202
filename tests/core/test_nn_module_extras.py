"""``nn.Module`` and the containers do what a PyTorch user expects: dotted look-ups, buffers
(persistent or not), casting, reprs, hooks, and the list/dict containers' editing methods.

Most tests build the same model with minidl and with PyTorch (``lib`` is either ``minidl.nn``
or ``torch.nn``) and compare keys, order, messages and values; without PyTorch they are
skipped, and the rest check hand-computed expectations.
"""
from collections import OrderedDict

import numpy as np
import pytest

import minidl
import minidl.nn as nn


def T(a, requires_grad=False):
    return minidl.tensor(np.asarray(a), requires_grad=requires_grad)


def frameworks():
    """(minidl.nn, tensor factory) and (torch.nn, tensor factory)."""
    torch = pytest.importorskip("torch")
    return [(nn, lambda a: T(np.asarray(a, np.float32))),
            (torch.nn, lambda a: torch.tensor(np.asarray(a, np.float32)))]


def both(build):
    """`build(lib, tensor)` with minidl, then with torch."""
    return [build(lib, tensor) for lib, tensor in frameworks()]


def error(fn):
    """(type name, message) of what `fn()` raises."""
    try:
        fn()
    except Exception as e:            # noqa: BLE001 - the point is to compare any error
        return type(e).__name__, str(e)
    return None


def types(seq):
    return [type(m).__name__ for m in seq]


def keys(module):
    return list(module._modules)


# -- 1. dotted look-ups ----------------------------------------------------------------------

def _tree(lib, tensor):
    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.Linear(2, 3)
            self.register_buffer("running", tensor([0.0, 1.0]))
            self.plain = 7

    root = lib.Sequential(Block(), lib.ReLU())
    return root


@pytest.mark.parametrize("call", [
    lambda m: m.get_submodule("0.nope"),
    lambda m: m.get_submodule("0.plain"),
    lambda m: m.get_submodule("0.fc.weight"),
    lambda m: m.get_submodule("5"),
    lambda m: m.get_parameter("0.running"),
    lambda m: m.get_parameter("0.fc.nope"),
    lambda m: m.get_parameter("x.weight"),
    lambda m: m.get_buffer("0.fc.weight"),
    lambda m: m.get_buffer("0.gone"),
])
def test_dotted_lookup_errors_are_torchs(call):
    ours, theirs = both(_tree)
    assert error(lambda: call(ours)) == error(lambda: call(theirs))
    assert error(lambda: call(ours))[0] == "AttributeError"


def test_dotted_lookups_find_the_objects():
    m = _tree(nn, lambda a: T(np.asarray(a, np.float32)))
    assert m.get_submodule("") is m
    assert m.get_submodule("0.fc") is m[0].fc
    assert m.get_parameter("0.fc.bias") is m[0].fc.bias
    assert m.get_buffer("0.running") is m[0].running


# -- 2. buffers, registration ----------------------------------------------------------------

def _buffered(lib, tensor):
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("first", tensor([1.0]))
            self.fc = lib.Linear(2, 2)
            self.register_buffer("scratch", tensor([2.0]), persistent=False)
            self.scale = lib.Parameter(tensor([3.0]))
            self.register_buffer("last", tensor([4.0]))
            self.register_buffer("empty", None)

    return Net()


def test_state_dict_order_and_non_persistent_buffers_match_torch():
    ours, theirs = both(_buffered)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == \
        ["scale", "first", "last", "fc.weight", "fc.bias"]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()] == \
        ["first", "scratch", "last"]
    assert len(list(ours.buffers())) == 3


def test_load_state_dict_ignores_non_persistent_buffers_like_torch():
    ours, theirs = both(_buffered)
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(sd)                 # strict: scratch is not expected
    assert repr(result) == repr(theirs.load_state_dict(theirs.state_dict())) == \
        "<All keys matched successfully>"
    sd["scratch"] = np.zeros(1, np.float32)
    del sd["last"]
    r_ours = ours.load_state_dict(sd, strict=False)
    tsd = dict(theirs.state_dict(), scratch=theirs.scratch)
    del tsd["last"]
    r_theirs = theirs.load_state_dict(tsd, strict=False)
    assert r_ours == (["last"], ["scratch"]) == tuple(r_theirs)
    assert r_ours.missing_keys == ["last"] and r_ours.unexpected_keys == ["scratch"]
    assert repr(r_ours) == repr(r_theirs)
    assert isinstance(r_ours, nn.IncompatibleKeys)
    assert float(ours.scratch.numpy()[0]) == 2.0            # not loaded


def test_buffer_persistence_follows_re_registration_and_assignment():
    ours, theirs = both(_buffered)
    for m, tensor in ((ours, lambda a: T(np.float32(a))), (theirs, None)):
        if tensor is None:
            import torch
            tensor = torch.tensor
        m.register_buffer("scratch", tensor([5.0]))        # persistent now
        m.scratch = tensor([6.0])                          # assignment keeps it a buffer
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "scratch" in ours.state_dict()
    del ours.scratch
    ours.register_buffer("scratch", T(np.zeros(1, np.float32)), persistent=False)
    assert "scratch" not in ours.state_dict()


@pytest.mark.parametrize("call", [
    lambda m, t: m.register_buffer("plain", t([0.0])),
    lambda m, t: m.register_buffer("scale", t([0.0])),
    lambda m, t: m.register_buffer("forward", t([0.0])),
    lambda m, t: m.register_parameter("first", None),
    lambda m, t: m.add_module("scale", None),
    lambda m, t: m.register_module("fc", None) or m.register_buffer("fc", None),
])
def test_registering_over_another_attribute_is_torchs_key_error(call):
    results = []
    for m, (lib, tensor) in zip(both(_buffered), frameworks()):
        m.plain = 1
        results.append(error(lambda: call(m, tensor)))
    assert results[0][0] == results[1][0] == "KeyError"
    assert results[1][1].strip('"') in results[0][1]    # torch's text, after our class name


def test_register_module_is_add_module():
    m = nn.Module()
    m.register_module("head", nn.ReLU())
    assert list(m.named_children())[0][0] == "head"
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.register_module("x", 3)


# -- 3. requires_grad_, zero_grad, casting ---------------------------------------------------

def test_requires_grad_and_zero_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    m[1].requires_grad_()
    assert [p.requires_grad for p in m.parameters()] == [False, False, True, True]
    m(T(np.ones((3, 2), np.float32))).sum().backward()
    assert m[0].weight.grad is None and m[1].weight.grad is not None
    m.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(m[1].weight.grad.numpy(), 0)
    m.zero_grad()
    assert m[1].weight.grad is None


def test_casts_change_floating_tensors_only_and_keep_the_objects():
    m = nn.Linear(2, 2)
    m.register_buffer("count", T(np.array([3], np.int64)))
    w = m.weight
    m(T(np.ones((1, 2), np.float32))).sum().backward()
    assert m.double() is m
    assert m.weight is w and w.dtype == np.float64 and w.grad.dtype == np.float64
    assert m.count.dtype == np.int64
    assert m.float().bias.dtype == np.float32
    assert m.to(np.float64).weight.dtype == np.float64               # to(dtype), positional
    assert m.to("cpu", minidl.float32).weight.dtype == np.float32     # to(device, dtype)
    assert m.to(T(np.zeros(1))).weight.dtype == np.float64           # to(tensor)
    assert m.count.dtype == np.int64
    assert m.type(np.float32) is m and m.count.dtype == np.float32     # type() casts all


def test_float16_is_refused_at_the_cast_not_in_the_forward():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    for cast in (m.half, lambda: m.to(minidl.float16), lambda: m.to(dtype=np.float16),
                 lambda: m.to("cpu", np.float16), lambda: m.type(np.float16)):
        with pytest.raises(TypeError, match=r"Sequential.*float16 is not supported.*float32"):
            cast()
        assert m[0].weight.dtype == np.float32                       # nothing was cast


def test_to_an_integer_dtype_is_torchs_type_error():
    torch = pytest.importorskip("torch")
    ours, theirs = error(lambda: nn.Linear(2, 2).to(np.int64)), \
        error(lambda: torch.nn.Linear(2, 2).to(torch.int64))
    assert ours[0] == theirs[0] == "TypeError"
    assert "only accepts floating point or complex dtypes" in ours[1]


# -- 4. repr, dir, train ---------------------------------------------------------------------

def _reprs(lib, tensor):
    class Scaled(lib.Module):
        def __init__(self, lines):
            super().__init__()
            self.lines = lines

        def extra_repr(self):
            return "\n".join(f"k{i}={i}" for i in range(self.lines))

    outer = Scaled(2)
    outer.inner = Scaled(1)
    outer.body = lib.Sequential(lib.Linear(2, 3), Scaled(0), Scaled(3))
    outer.add_module("none", None)
    return outer


def test_repr_uses_extra_repr_like_torch():
    ours, theirs = both(_reprs)
    assert repr(ours) == repr(theirs)
    assert "k0=0\n  k1=1" in repr(ours)


def test_modulelist_repr_compresses_repeats_like_torch():
    def build(lib, tensor):
        return lib.ModuleList([lib.ReLU(), lib.ReLU(), lib.Tanh(), lib.Linear(2, 2),
                               lib.Linear(2, 2), lib.Linear(2, 2), lib.ReLU()])
    ours, theirs = both(build)
    assert repr(ours) == repr(theirs)
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_dir_lists_registered_names_like_torch():
    ours, theirs = both(_buffered)
    names = {"first", "scratch", "last", "scale", "fc", "empty"}
    assert names <= set(dir(ours))
    assert sorted(names & set(dir(ours))) == sorted(names & set(dir(theirs)))
    assert dir(ours) == sorted(dir(ours))
    seq = nn.Sequential(nn.ReLU())
    assert "0" not in dir(seq) and "append" in dir(seq)


def test_train_returns_self_recurses_through_children_and_wants_a_bool():
    calls = []

    class Child(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    m = nn.Sequential(Child(), nn.Sequential(nn.ReLU()))
    assert m.eval() is m and calls == [False]
    assert not any(x.training for x in m.modules())
    assert m.train() is m and all(x.training for x in m.modules())
    torch = pytest.importorskip("torch")
    for bad in (1, "yes", None):
        ours, theirs = error(lambda: m.train(bad)), \
            error(lambda: torch.nn.ReLU().train(bad))
        assert ours[0] == theirs[0] == "ValueError"
        assert theirs[1] in ours[1]


# -- 5. hooks --------------------------------------------------------------------------------

class _Add(nn.Module):
    def forward(self, x, y=0):
        return x + y


def _hooked(lib, tensor):
    """A module with several hooks, and the log of their calls (as plain values)."""
    class Add(lib.Module):
        def forward(self, x, y=0):
            return x + y

    log = []
    m = Add()
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre1", len(args))))
    m.register_forward_pre_hook(lambda mod, args: args[0] * 10)   # non-tuple: wrapped
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre0", len(args))),
                                prepend=True)
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"y": 1}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("fwd", float(out.sum()))))
    m.register_forward_hook(lambda mod, args, kwargs, out: out * 2, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("last", float(out.sum()))))
    return m, log


def test_hooks_order_signatures_and_results_match_torch():
    (ours, ours_log), (theirs, theirs_log) = both(_hooked)
    x = np.array([1.0, 2.0], np.float32)
    import torch
    y_ours, y_theirs = ours(T(x), T(x)), theirs(torch.tensor(x), torch.tensor(x))
    np.testing.assert_array_equal(y_ours.numpy(), y_theirs.numpy())
    np.testing.assert_array_equal(y_ours.numpy(), (x * 10 + 1) * 2)   # hand-computed too
    assert ours_log == theirs_log == [("pre0", 2), ("pre1", 2), ("fwd", 32.0), ("last", 64.0)]


def test_hook_handles_remove_and_work_as_context_managers():
    m, seen = _Add(), []
    h = m.register_forward_hook(lambda mod, args, out: out + 100)
    with m.register_forward_pre_hook(lambda mod, args: seen.append(args)) as h2:
        assert m(T(np.float32(1))).item() == 101
    assert isinstance(h2, nn.RemovableHandle) and len(seen) == 1
    h.remove()
    h.remove()                                          # twice is harmless
    assert m(T(np.float32(1))).item() == 1 and len(seen) == 1
    assert not m._forward_hooks and not m._forward_pre_hooks


def test_a_bad_with_kwargs_pre_hook_result_is_an_error():
    m = _Add()
    m.register_forward_pre_hook(lambda mod, args, kwargs: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"_Add: a forward pre-hook .* \(new_args, new_kwargs\)"):
        m(T(np.float32(1)))


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m, seen = Boom(), []
    m.register_forward_hook(lambda mod, args, out: seen.append("plain"))
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == [None]


def test_summary_style_forward_patching_still_works_with_hooks():
    m, seen = _Add(), []
    m.register_forward_hook(lambda mod, args, out: seen.append("hook"))
    m.forward = lambda x: x * 3                         # an instance attribute wins
    assert m(T(np.float32(2))).item() == 6 and seen == ["hook"]
    del m.forward


# -- 6. Sequential ---------------------------------------------------------------------------

def _seq(lib, tensor):
    return lib.Sequential(lib.ReLU(), lib.Tanh(), lib.Linear(2, 2), lib.Identity())


@pytest.mark.parametrize("edit", [
    lambda s, lib: s.__delitem__(1),
    lambda s, lib: s.__delitem__(-1),
    lambda s, lib: s.__delitem__(slice(1, 3)),
    lambda s, lib: s.__delitem__(slice(None, None, 2)),
    lambda s, lib: s.insert(1, lib.Flatten()),
    lambda s, lib: s.insert(-1, lib.Flatten()),
    lambda s, lib: s.insert(4, lib.Flatten()),
    lambda s, lib: s.insert(-4, lib.Flatten()),
    lambda s, lib: s.pop(0),
    lambda s, lib: s.pop(-2),
    lambda s, lib: s.pop(slice(0, 2)),
    lambda s, lib: s.__setitem__(-1, lib.Flatten()),
    lambda s, lib: s.__setitem__(0, lib.Flatten()),
    lambda s, lib: s.append(lib.Flatten()),
    lambda s, lib: s.extend([lib.Flatten(), lib.ReLU()]),
    lambda s, lib: s.__iadd__(lib.Sequential(lib.Flatten())),
    lambda s, lib: s.__imul__(2),
])
def test_sequential_edits_match_torch(edit):
    results = []
    for (lib, tensor) in frameworks():
        s = _seq(lib, tensor)
        out = edit(s, lib)
        results.append((keys(s), types(s), len(s), types([out]) if out is not None else None,
                        list(s.state_dict())))
    assert results[0] == results[1]


@pytest.mark.parametrize("make", [
    lambda s, lib: s + lib.Sequential(lib.Flatten()),
    lambda s, lib: s * 2,
    lambda s, lib: 3 * s,
    lambda s, lib: s[1:],
    lambda s, lib: s[::-2],
])
def test_sequential_operators_match_torch(make):
    results = []
    for lib, tensor in frameworks():
        s = _seq(lib, tensor)
        out = make(s, lib)
        results.append((type(out).__name__, keys(out), types(out), list(out.state_dict())))
    assert results[0] == results[1]
    s = _seq(nn, None)
    assert (s * 2)[4] is s[0]                           # the same module objects


def test_sequential_deletion_renumbers_named_children_like_torch():
    results = []
    for lib, _ in frameworks():
        s = lib.Sequential(OrderedDict(a=lib.ReLU(), b=lib.Tanh(), c=lib.Identity()))
        del s[1]
        results.append(keys(s))
        s = lib.Sequential(OrderedDict(a=lib.ReLU(), b=lib.Tanh()))
        results.append(keys(s + s))
        s.insert(2, lib.ReLU())                         # at the end torch names it "2"
        results.append(keys(s))
    assert results[:3] == results[3:]
    assert results[:3] == [["0", "1"], ["0", "1", "2", "3"], ["a", "b", "2"]]


@pytest.mark.parametrize("call, kind", [
    (lambda s: s[4], IndexError), (lambda s: s[-5], IndexError),
    (lambda s: s.__setitem__(4, nn.ReLU()), IndexError),
    (lambda s: s.__delitem__(7), IndexError),
    (lambda s: s.insert(5, nn.ReLU()), IndexError),
    (lambda s: s.insert(0, "relu"), TypeError),
    (lambda s: s.insert(0, "relu"), AssertionError),    # what torch raises
    (lambda s: s + nn.ModuleList(), ValueError),
    (lambda s: s * 0, ValueError),
    (lambda s: s * 1.5, TypeError),
    (lambda s: s.__setitem__(0, "relu"), TypeError),
])
def test_sequential_errors(call, kind):
    with pytest.raises(kind):
        call(_seq(nn, None))


def test_sequential_insert_into_named_children_is_a_clear_key_error():
    s = nn.Sequential(OrderedDict(a=nn.ReLU(), b=nn.Tanh()))
    with pytest.raises(KeyError, match=r"no child named '0'"):
        s.insert(0, nn.ReLU())
    assert keys(s) == ["a", "b"]                        # unchanged


# -- 7. ModuleList, ModuleDict ---------------------------------------------------------------

def _mlist(lib, tensor):
    return lib.ModuleList([lib.ReLU(), lib.Tanh(), lib.Linear(2, 2), lib.Identity()])


@pytest.mark.parametrize("edit", [
    lambda m, lib: m.__delitem__(1),
    lambda m, lib: m.__delitem__(-1),
    lambda m, lib: m.__delitem__(slice(1, None)),
    lambda m, lib: m.__delitem__(slice(None, None, 2)),
    lambda m, lib: m.pop(1),
    lambda m, lib: m.pop(-1),
    lambda m, lib: m.__iadd__([lib.Flatten()]),
    lambda m, lib: m.insert(1, lib.Flatten()),
    lambda m, lib: m.insert(4, lib.Flatten()),
    lambda m, lib: m.__setitem__(-2, lib.Flatten()),
    lambda m, lib: m.extend((lib.Flatten(),)),
])
def test_modulelist_edits_match_torch(edit):
    results = []
    for lib, tensor in frameworks():
        m = _mlist(lib, tensor)
        out = edit(m, lib)
        results.append((keys(m), types(m), types([out]) if out is not None else None,
                        list(m.state_dict())))
    assert results[0] == results[1]


def test_modulelist_constructors_and_add():
    results = []
    for lib, tensor in frameworks():
        m = _mlist(lib, tensor)
        added = m + [lib.Flatten()]
        results.append((len(lib.ModuleList()), len(lib.ModuleList(None)), keys(added),
                        types(added), type(m[1:]).__name__, keys(m[1:])))
    assert results[0] == results[1]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        nn.ModuleList(3)
    with pytest.raises(IndexError):
        _mlist(nn, None)[4]


def _mdict(lib, tensor):
    d = lib.ModuleDict({"conv": lib.Linear(2, 2), "act": lib.ReLU()})
    d["head"] = lib.Linear(2, 1)
    d.update([("act", lib.Tanh()), ("extra", lib.Identity())])
    d.update(OrderedDict(z=lib.Flatten(), a=lib.ReLU()))
    return d


def test_moduledict_matches_torch():
    results = []
    for lib, tensor in frameworks():
        d = _mdict(lib, tensor)
        popped = d.pop("extra")
        del d["z"]
        results.append((list(d), list(d.keys()), types(d.values()),
                        [(k, type(v).__name__) for k, v in d.items()], len(d), "act" in d,
                        "extra" in d, type(popped).__name__, list(d.state_dict()), repr(d)))
    assert results[0] == results[1]
    assert results[0][0] == ["conv", "act", "head", "a"]
    d = _mdict(nn, None)
    assert isinstance(d["conv"], nn.Linear)
    with pytest.raises(KeyError):
        d["missing"]
    with pytest.raises(ValueError, match="element #0 has length 3"):
        d.update([("a", nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="iterable of key/value pairs"):
        d.update(3)
    d.clear()
    assert len(d) == 0 and nn.ModuleDict(None)._modules == {}


def test_model_with_containers_has_torchs_state_dict_keys():
    def build(lib, tensor):
        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.blocks = lib.ModuleList([lib.Linear(2, 2) for _ in range(2)])
                self.heads = lib.ModuleDict({"b": lib.Linear(2, 1), "a": lib.Linear(2, 3)})
                self.scales = lib.ParameterList([tensor([1.0]), lib.Parameter(tensor([2.0]))])
                self.gains = lib.ParameterDict({"y": tensor([1.0]), "x": tensor([2.0, 3.0])})
                self.ordered = lib.ParameterDict(OrderedDict(y=tensor([1.0]), x=tensor([2.0])))
        return Net()

    ours, theirs = both(build)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert isinstance(ours.scales[0], nn.Parameter) and ours.scales[0].requires_grad
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours.gains["x"].detach().numpy(), [2.0, 3.0])


def test_parameterlist_and_parameterdict_behave_like_lists_and_dicts():
    pl = nn.ParameterList([T(np.zeros(2, np.float32))])
    pl.append(T(np.ones(3, np.float32)))
    pl += [nn.Parameter(T(np.ones(1, np.float32)))]
    assert len(pl) == 3 and [p.shape for p in pl] == [(2,), (3,), (1,)]
    assert pl[-1] is list(pl)[2] and len(pl[1:]) == 2
    pl[0] = T(np.ones(4, np.float32))
    assert isinstance(pl[0], nn.Parameter) and pl[0].shape == (4,)
    assert repr(pl).splitlines()[1] == "    (0): Parameter containing: [float32 of size 4]"
    with pytest.raises(IndexError):
        pl[3]
    pd = nn.ParameterDict({"b": T(np.zeros(1, np.float32))})
    pd["a"] = T(np.ones(2, np.float32))
    assert list(pd) == ["b", "a"] and "a" in pd and len(pd) == 2
    assert pd.get("zz") is None and pd.setdefault("a") is pd["a"]
    assert pd.pop("b").shape == (1,) and list(pd.keys()) == ["a"]
    assert [k for k, _ in pd.named_parameters()] == ["a"]
    assert list(pd.copy()) == ["a"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(RuntimeError, match="should not be called"):
        pd(1)


# -- 8. walking the tree, state_dict details -------------------------------------------------

def _walk(lib, tensor):
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.b = lib.Linear(2, 2)
            self.register_buffer("mid", tensor([0.0]))
            self.a = lib.Sequential(lib.ReLU(), lib.Linear(2, 2))
            self.shared = self.b
            self.own = lib.Parameter(tensor([1.0]))
    return Net()


def test_walking_the_tree_matches_torch():
    ours, theirs = both(_walk)
    for fn in (lambda m: [k for k, _ in m.named_parameters(prefix="net")],
               lambda m: [k for k, _ in m.named_parameters(recurse=False)],
               lambda m: len(list(m.parameters(recurse=False))),
               lambda m: [k for k, _ in m.named_parameters(remove_duplicate=False)],
               lambda m: [k for k, _ in m.named_buffers(prefix="p")],
               lambda m: [k for k, _ in m.named_children()],
               lambda m: types(m.children()),
               lambda m: [k for k, _ in m.named_modules()],
               lambda m: [k for k, _ in m.named_modules(prefix="root")],
               lambda m: [k for k, _ in m.named_modules(remove_duplicate=False)],
               lambda m: types(m.modules()),
               lambda m: list(m.state_dict()),
               lambda m: list(m.state_dict(prefix="x.")),
               lambda m: list(m.state_dict(keep_vars=True))):
        assert fn(ours) == fn(theirs)


def test_apply_returns_self_children_first_and_state_dict_destination():
    order = []
    m = _walk(nn, lambda a: T(np.asarray(a, np.float32)))
    assert m.apply(lambda mod: order.append(type(mod).__name__)) is m
    assert order == ["Linear", "ReLU", "Linear", "Sequential", "Net"]
    dest = OrderedDict(first=1)
    assert m.state_dict(destination=dest, prefix="m.") is dest
    assert list(dest)[:3] == ["first", "m.own", "m.mid"]
    assert isinstance(m.state_dict(), OrderedDict)
    memo = set()
    assert len(list(m.named_modules(memo))) == 5 and len(memo) == 5


def test_zero_grad_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(2, 1), torch.nn.Linear(2, 1)
    ours(T(np.ones((1, 2), np.float32))).sum().backward()
    theirs(torch.ones(1, 2)).sum().backward()
    ours.zero_grad(set_to_none=False)
    theirs.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    ours.zero_grad()
    theirs.zero_grad()
    assert ours.weight.grad is None and theirs.weight.grad is None


def test_parameter_container_reprs_match_torch_but_for_dtype_names():
    def build(lib, tensor):
        return (lib.ParameterList([tensor([[1.0, 2.0]]), tensor([3.0])]),
                lib.ParameterDict({"b": tensor([1.0]), "a": tensor([[1.0], [2.0]])}))
    ours, theirs = both(build)
    for o, t in zip(ours, theirs):
        text = repr(t).replace("torch.float32", "float32").replace("torch.FloatTensor", "float32")
        assert repr(o) == text
