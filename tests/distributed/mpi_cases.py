"""Cases that need two MPI ranks; ``test_mpi.py`` runs this file as

    mpiexec -n 2 python -m pytest tests/distributed/mpi_cases.py

Every rank runs every test in the same order, so each test's collectives match up. A test
must reach the same collectives on both ranks even when it fails (assert after communicating).
"""
import numpy as np
import pytest

import minidl
import minidl.distributed as dist
from minidl import nn
from minidl.nn.parallel import DistributedDataParallel
from minidl.optim import SGD


@pytest.fixture(scope="module", autouse=True)
def group():
    dist.init_process_group("mpi")
    assert dist.get_world_size() == 2, "run under mpiexec -n 2"
    yield
    dist.destroy_process_group()


def both_agree(flag):
    """True on every rank iff `flag` holds on every rank (so a rank's failure fails both)."""
    t = minidl.tensor(np.array([1.0 if flag else 0.0]))
    dist.all_reduce(t, dist.ReduceOp.MIN)
    return t.data[0] == 1.0


# -- the collectives -------------------------------------------------------------------------
def test_collectives_move_the_right_values():
    r = dist.get_rank()
    t = minidl.tensor(np.array([1.0, 2.0]) * (r + 1))
    dist.all_reduce(t)
    assert np.array_equal(t.data, [3.0, 6.0])
    t = minidl.tensor(np.array([r + 1.0]))
    dist.all_reduce(t, dist.ReduceOp.MAX)
    assert t.data[0] == 2.0
    t = minidl.tensor(np.array([r + 1.0, 1.0]))
    dist.all_reduce(t, dist.ReduceOp.AVG)
    assert np.array_equal(t.data, [1.5, 1.0])
    b = minidl.tensor(np.full(3, float(r)))
    dist.broadcast(b, src=1)
    assert np.array_equal(b.data, [1.0, 1.0, 1.0])
    out = [minidl.zeros(2, dtype=minidl.int64) for _ in range(2)]
    dist.all_gather(out, minidl.tensor(np.array([r, 10 * r])))
    assert [o.data.tolist() for o in out] == [[0, 0], [1, 10]]
    rs = minidl.zeros(2, dtype=minidl.float64)
    dist.reduce_scatter(rs, [minidl.tensor(np.array([1.0, 2.0]) + r),     # rank 0's part
                             minidl.tensor(np.array([3.0, 4.0]) + r)])    # rank 1's part
    assert rs.data.tolist() == ([1 + 2, 2 + 3] if r == 0 else [3 + 4, 4 + 5])
    work = dist.all_reduce(minidl.ones(4), async_op=True)
    assert work.wait()
    dist.barrier()


def test_collectives_reject_bad_buffers():
    with pytest.raises(ValueError, match="contiguous"):
        dist.all_reduce(minidl.tensor(np.ones((4, 4)))[:, ::2])
    with pytest.raises(ValueError, match="one per rank"):
        dist.all_gather([minidl.zeros(2)], minidl.zeros(2))
    with pytest.raises(ValueError, match="not a rank"):
        dist.broadcast(minidl.zeros(2), src=5)


# -- DistributedDataParallel -----------------------------------------------------------------
def small_convnet(seed):
    minidl.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, groups=2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def batches(k, b, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((2 * b, 1, 6, 6)).astype(np.float32),
             rng.integers(0, 3, 2 * b)) for _ in range(k)]


def sgd_steps(model, data, lo, hi, bucket_cap_mb=None):
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    for x, y in data:
        opt.zero_grad()
        loss_fn(model(minidl.tensor(x[lo:hi])), minidl.tensor(y[lo:hi])).backward()
        opt.step()


@pytest.mark.parametrize("bucket_cap_mb", [None, 1e-6])    # one bucket / one per parameter
def test_ddp_at_batch_b_per_rank_equals_one_process_at_batch_2b(bucket_cap_mb):
    k, b, r = 4, 5, dist.get_rank()
    data = batches(k, b)
    single = small_convnet(seed=0)
    sgd_steps(single, data, 0, 2 * b)
    # each rank starts from other weights: DDP must broadcast rank 0's (seed 0)
    ddp = DistributedDataParallel(small_convnet(seed=r), bucket_cap_mb=bucket_cap_mb)
    sgd_steps(ddp, data, r * b, (r + 1) * b)
    got, want = ddp.module.state_dict(), single.state_dict()
    assert list(got) == list(want)                    # plain keys on the wrapped net
    close = all(np.allclose(got[key].data, want[key].data, rtol=1e-5, atol=1e-6) for key in want)
    assert both_agree(close)
    assert ddp.stats["steps"] == k
    if bucket_cap_mb is not None:      # several buckets: all but the first layer's start early
        assert ddp.stats["buckets"] == 8
        assert ddp.stats["started_in_backward"] == k * 6   # all but conv1's


def test_ddp_grads_are_the_mean_over_ranks():
    r = dist.get_rank()
    model = DistributedDataParallel(nn.Linear(3, 2), bucket_cap_mb=0.00001)
    x = minidl.tensor(np.full((1, 3), r + 1.0, np.float32))
    model(x).sum().backward()
    w = model.module.weight.grad.data
    assert np.allclose(w, 1.5)            # the input was 1 on rank 0, 2 on rank 1
    assert model.module.bias.grad.data.tolist() == [1.0, 1.0]


def test_ddp_frozen_parameters_are_left_alone():
    net = small_convnet(0)
    for p in net[0].parameters():
        p.requires_grad_(False)
    ddp = DistributedDataParallel(net)
    sgd_steps(ddp, batches(1, 2), 0, 2)
    assert net[0].weight.grad is None and net[-1].weight.grad is not None


def test_ddp_no_sync_accumulates_then_reduces_the_sum():
    r = dist.get_rank()
    model = DistributedDataParallel(nn.Linear(2, 1, bias=False))
    x = minidl.tensor(np.full((1, 2), r + 1.0, np.float32))
    with model.no_sync():
        model(x).sum().backward()
    assert np.allclose(model.module.weight.grad.data, r + 1.0)   # local only
    model(x).sum().backward()
    assert np.allclose(model.module.weight.grad.data, (2 * 1 + 2 * 2) / 2)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 2)

    def forward(self, x, use_b=True):
        return self.b(self.a(x)) if use_b else self.a(x)


def test_ddp_a_rank_that_skips_a_layer_is_an_error_on_every_rank():
    model = DistributedDataParallel(Branchy())
    out = model(minidl.ones(1, 2), use_b=dist.get_rank() == 0)
    with pytest.raises(RuntimeError, match=r"b\.weight \(on 1 of 2 ranks\)"):
        out.sum().backward()


def test_ddp_a_layer_no_rank_used_is_an_error_unless_allowed():
    model = DistributedDataParallel(Branchy())
    with pytest.raises(RuntimeError, match="no rank produced a gradient for b"):
        model(minidl.ones(1, 2), use_b=False).sum().backward()
    model = DistributedDataParallel(Branchy(), find_unused_parameters=True)
    model(minidl.ones(1, 2), use_b=False).sum().backward()
    assert model.module.b.weight.grad is None and model.module.a.weight.grad is not None


def test_ddp_different_models_are_an_error_at_construction():
    with pytest.raises(RuntimeError, match=r"models differ at parameter 1\.weight"):
        DistributedDataParallel(nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 2 + dist.get_rank())))
    with pytest.raises(RuntimeError, match="parameters \\+ buffers per rank: rank 0: 2, rank 1: 4"):
        layers = [nn.Linear(2, 2) for _ in range(1 + dist.get_rank())]
        DistributedDataParallel(nn.Sequential(*layers))


# -- AlexNet's two towers --------------------------------------------------------------------
def test_two_towers_equal_the_grouped_alexnet_forward_and_backward():
    from minidl.models.alexnet import AlexNet
    from minidl.models.alexnet_towers import AlexNetTower
    r = dist.get_rank()
    minidl.manual_seed(0)                  # the same weights on both ranks
    full = AlexNet(num_classes=5, in_channels=3, input_size=16, channels=(8, 12, 16, 16, 12),
                   hidden=16, conv1=(5, 1, 2), lrn_groups=2, dropout=0.0, init="kaiming")
    tower = AlexNetTower.from_alexnet(full, r)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, full.input_size, full.input_size)).astype(np.float32)
    y = minidl.tensor(rng.integers(0, 5, 2))
    loss_fn = nn.CrossEntropyLoss()
    full_out = full(minidl.tensor(x))
    loss_fn(full_out, y).backward()
    tower_out = tower(minidl.tensor(x))
    loss_fn(tower_out, y).backward()
    same_out = np.allclose(tower_out.data, full_out.data, rtol=1e-4, atol=1e-5)
    grads = {k: v.grad.data for k, v in full.named_parameters()}
    mismatched = [name for name, p in tower.named_parameters()
                  if not np.allclose(p.grad.data, tower.slice_of(grads, name),
                                     rtol=1e-4, atol=1e-5)]
    assert both_agree(same_out and not mismatched), (same_out, mismatched)


# -- all_gather_cat's gradient, by central differences over both ranks -----------------------
from hypothesis import given, settings, strategies as st   # noqa: E402


def global_loss(x, weight, consumer, dim):
    """The one loss of the job: split -> the ranks' own losses summed; replicated -> every
    rank computes the same one."""
    from minidl.distributed.functional import all_gather_cat
    local = (all_gather_cat(x, dim, consumer) * weight).sum()
    if consumer == "replicated":
        return local
    total = minidl.tensor(np.array([local.item()]))
    dist.all_reduce(total)
    return local, total.data[0]


@settings(derandomize=True, max_examples=6, database=None, deadline=None)  # same draws per rank
@given(shape=st.lists(st.integers(1, 3), min_size=2, max_size=3), dim=st.integers(0, 2),
       consumer=st.sampled_from(["split", "replicated"]))
def test_all_gather_cat_gradient_matches_central_differences(shape, dim, consumer):
    from minidl.distributed.functional import all_gather_cat
    r, dim = dist.get_rank(), dim % len(shape)
    rng = np.random.default_rng(10 + r)
    x0 = rng.standard_normal(shape)
    out_shape = list(shape)
    out_shape[dim] *= 2
    # split: each rank weighs the gathered tensor its own way; replicated: the same way
    w = minidl.tensor(np.random.default_rng(r if consumer == "split" else 0)
                      .standard_normal(out_shape))
    x = minidl.tensor(x0.copy(), requires_grad=True)
    (all_gather_cat(x, dim, consumer) * w).sum().backward()

    def loss_at(values):
        t = minidl.tensor(values)
        out = global_loss(t, w, consumer, dim)
        return out[1] if consumer == "split" else out.item()

    eps, numeric = 1e-6, np.zeros(x0.size)
    for owner in range(2):                     # one rank's entries move at a time
        for i in range(x0.size):
            plus, minus = x0.copy().reshape(-1), x0.copy().reshape(-1)
            if r == owner:
                plus[i] += eps
                minus[i] -= eps
            f_plus, f_minus = loss_at(plus.reshape(shape)), loss_at(minus.reshape(shape))
            if r == owner:
                numeric[i] = (f_plus - f_minus) / (2 * eps)
    assert both_agree(np.allclose(x.grad.data.reshape(-1), numeric, rtol=1e-6, atol=1e-8))


# -- the Trainer on two ranks ----------------------------------------------------------------
def shared_tmp_dir():
    """A folder both ranks use: rank 0 makes it and broadcasts its name (as bytes)."""
    import tempfile
    name = np.zeros(256, np.uint8)
    if dist.get_rank() == 0:
        raw = tempfile.mkdtemp(prefix="minidl-ddp-").encode()
        name[:len(raw)] = np.frombuffer(raw, np.uint8)
    dist.broadcast(name, src=0)
    return bytes(name[name > 0]).decode()


def test_trainer_averages_over_ranks_writes_on_rank_0_and_resumes_in_one_process():
    import os
    from minidl.data import ArrayDataset, DataLoader, DistributedSampler, Subset
    from minidl.train import LAST, Trainer
    r = dist.get_rank()
    rng = np.random.default_rng(0)
    images = rng.standard_normal((40, 1, 6, 6)).astype(np.float32)
    data = ArrayDataset(images, rng.integers(0, 3, 40))
    out = shared_tmp_dir()
    model = DistributedDataParallel(small_convnet(seed=r))
    loader = DataLoader(data, 5, sampler=DistributedSampler(data, seed=0), seed=r)
    val = DataLoader(Subset(data, range(r, 40, 2)), 7)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.05), out_dir=out, progress=False,
                      verbose=False, plot=False)
    history = trainer.fit(loader, val, epochs=2)
    mine = np.array([history[-1]["train_loss"], history[-1]["val_loss"],
                     history[-1]["val_acc1"]])
    both = np.zeros((2, 3))
    dist.all_gather_into_tensor(both, mine)
    assert both_agree(np.array_equal(both[0], both[1]))     # every rank: the same averages
    # the validation metrics count each of the 40 images once: redo them in one process
    whole = small_convnet(seed=0)
    whole.load_state_dict(model.module.state_dict())
    solo = Trainer(whole, SGD(whole.parameters(), lr=0.05), progress=False, verbose=False)
    alone = solo.evaluate(DataLoader(data, 40))
    assert both_agree(np.isclose(alone["loss"], mine[1]) and alone["acc1"] == mine[2])
    dist.barrier()
    # rank 0 wrote a checkpoint with plain keys: it resumes in a plain (one-process) Trainer
    resumed = Trainer(small_convnet(seed=5), None, progress=False, verbose=False)
    resumed.optimizer = SGD(resumed.model.parameters(), lr=0.05)
    resumed.load_checkpoint(os.path.join(out, LAST))
    same = all(np.array_equal(resumed.model.state_dict()[k].data, v.data)
               for k, v in model.module.state_dict().items())
    assert both_agree(same and resumed.epoch == 2 and len(resumed.history) == 2)
    assert both_agree(sorted(os.listdir(out)) == sorted([LAST, "checkpoint_best.safetensors",
                                                          "log.jsonl"]))
