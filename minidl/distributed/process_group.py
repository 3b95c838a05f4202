"""The default process group and its collectives, with torch.distributed's names.

    init_process_group("mpi")            # every rank, once (run under mpiexec -n P)
    get_rank(), get_world_size()         # 0..P-1, P
    all_reduce(t)                        # in place: t <- t_0 + t_1 + ... + t_{P-1}
    broadcast(t, src=0)                  # in place: t <- t_src
    all_gather([t_0, .., t_{P-1}], t)    # t_r <- rank r's t
    reduce_scatter(out, [x_0, .., x_{P-1}])   # out on rank r <- sum over ranks of x_r
    barrier(); destroy_process_group()

The engine is MPI through mpi4py, and only its buffer interface: the upper-case methods
(``Allreduce``, ``Bcast``, ``Allgather``, ``Reduce_scatter_block``) that hand MPI a pointer,
a count and a datatype. mpi4py's lower-case methods would pickle Python objects; they are never
used, so nothing a peer sends is ever unpickled.

Every collective must be called by every rank, in the same order, with the same shapes and
dtypes -- MPI's rule. A rank that never arrives would leave the others waiting forever, so the
waits here poll with a deadline (``timeout``, 30 minutes by default as in PyTorch) and then
raise; a rank that raises ends the whole job (``faults.py``); a rank that leaves early, even
with status 0, ends it too (``departures.py``, ``supervisor.py``).

``backend="nccl"`` runs the same collectives on CuPy arrays through NCCL (rank and peers still
found by MPI, which carries NCCL's unique id). It needs a CUDA GPU per rank; the project's CI
machine has none, so that path is kept to a few lines and is not exercised by the tests.
"""
import atexit
import datetime
import os
import time

import numpy as np

from ..backend import is_cupy_array

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class ReduceOp:
    """How ``all_reduce`` / ``reduce_scatter`` combine the ranks' values (torch's names).
    ``AVG`` is the sum divided by the world size."""
    SUM, PRODUCT, MIN, MAX, AVG = "sum", "product", "min", "max", "avg"


_group = None   # the default group: set by init_process_group


def _mpi():
    """mpi4py's MPI module, imported only here so that ``import minidl`` never loads MPI."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError("minidl.distributed needs mpi4py and an MPI library: "
                           "pip install -e \".[mpi]\" (mpi4py + mpich)") from e
    return MPI


class _MPIGroup:
    """MPI_COMM_WORLD with the waits bounded by `timeout`."""

    backend = "mpi"

    def __init__(self, timeout):
        self.MPI = _mpi()
        self.comm = self.MPI.COMM_WORLD.Dup()   # our own context: user MPI calls cannot interleave
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout_s = timeout.total_seconds()
        from .departures import Departures, unlink_shared_memory
        self.departures = Departures(self.MPI, self.rank, self.size) if self.size > 1 else None
        self.MPI.COMM_WORLD.Barrier()           # every rank has mapped MPICH's shared memory:
        unlink_shared_memory()                  # its file can go (nothing left in /dev/shm)
        self._ops = {ReduceOp.SUM: self.MPI.SUM, ReduceOp.AVG: self.MPI.SUM,
                     ReduceOp.PRODUCT: self.MPI.PROD, ReduceOp.MIN: self.MPI.MIN,
                     ReduceOp.MAX: self.MPI.MAX}

    def op(self, op):
        try:
            return self._ops[op]
        except KeyError:
            raise ValueError(f"unknown ReduceOp {op!r}; expected one of "
                             f"{sorted(self._ops)}") from None

    def wait(self, requests, what):
        """Wait for MPI requests, polling (which also drives MPICH's progress engine) until the
        deadline; past it raise, naming the collective."""
        requests = list(requests)
        deadline = time.monotonic() + self.timeout_s
        spins, grace = 0, None
        while not self.MPI.Request.Testall(requests):
            spins += 1
            if spins > 1000:                   # past the first ~millisecond: poll gently
                time.sleep(50e-6)
                if self.departures is not None and spins % 16 == 0:   # a peer that left
                    grace = self.departures.check(what, grace)
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"minidl.distributed: {what} on rank {self.rank} waited more than "
                        f"{self.timeout_s:.0f} s for the other ranks (a rank that stopped "
                        "calling collectives, or called them in another order)")

    # each returns the request(s) to wait for; the caller decides whether to wait now
    def all_reduce(self, buf, op):
        return [self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=self.op(op))]

    def broadcast(self, buf, src):
        return [self.comm.Ibcast(buf, root=src)]

    def all_gather(self, recv, send):
        return [self.comm.Iallgather(send, recv)]

    def reduce_scatter(self, recv, send, op):
        return [self.comm.Ireduce_scatter_block(send, recv, op=self.op(op))]

    def host_all_gather(self, recv, send):
        """MPI all-gather of small NumPy arrays (checks, names) whatever the backend."""
        return [self.comm.Iallgather(send, recv)]

    def barrier(self):
        return [self.comm.Ibarrier()]

    def abort(self, code):
        self.MPI.COMM_WORLD.Abort(code)

    def leave(self):
        """Announce this rank's orderly departure and wait for every peer's (departures.py)."""
        from . import supervisor
        if self.departures is not None:
            self.departures.leave_in_order(self.timeout_s)
            self.departures.free()
            self.departures = None
        supervisor.finished()

    def destroy(self):
        self.leave()
        self.comm.Free()


class _NCCLGroup(_MPIGroup):
    """NCCL on CuPy arrays; MPI only finds the peers and broadcasts NCCL's unique id. Untested
    on the project's machines (no GPU): kept small so that it can be read and checked."""

    backend = "nccl"

    def __init__(self, timeout):
        super().__init__(timeout)
        import cupy
        from cupy.cuda import nccl
        self.cupy, self.nccl = cupy, nccl
        # NCCL's unique id: a tuple of 128 C chars, sent as a buffer (never pickled)
        uid = np.array(nccl.get_unique_id() if self.rank == 0 else [0] * 128, np.int16)
        self.comm.Bcast(uid, root=0)
        self.nccl_comm = nccl.NcclCommunicator(self.size, tuple(int(v) for v in uid), self.rank)

    def _args(self, buf):
        dtypes = {np.float32: self.nccl.NCCL_FLOAT32, np.float64: self.nccl.NCCL_FLOAT64,
                  np.float16: self.nccl.NCCL_FLOAT16, np.int64: self.nccl.NCCL_INT64,
                  np.int32: self.nccl.NCCL_INT32, np.uint8: self.nccl.NCCL_UINT8}
        stream = self.cupy.cuda.get_current_stream().ptr
        return buf.data.ptr, buf.size, dtypes[buf.dtype.type], stream

    def op(self, op):
        n = self.nccl
        return {ReduceOp.SUM: n.NCCL_SUM, ReduceOp.AVG: n.NCCL_SUM, ReduceOp.PRODUCT: n.NCCL_PROD,
                ReduceOp.MIN: n.NCCL_MIN, ReduceOp.MAX: n.NCCL_MAX}[op]

    def wait(self, requests, what):
        self.cupy.cuda.get_current_stream().synchronize()
        super().wait(requests, what)           # the barrier's MPI request, if any

    def all_reduce(self, buf, op):
        ptr, count, dtype, stream = self._args(buf)
        self.nccl_comm.allReduce(ptr, ptr, count, dtype, self.op(op), stream)
        return []

    def broadcast(self, buf, src):
        ptr, count, dtype, stream = self._args(buf)
        self.nccl_comm.bcast(ptr, count, dtype, src, stream)
        return []

    def all_gather(self, recv, send):
        ptr, count, dtype, stream = self._args(send)
        self.nccl_comm.allGather(ptr, recv.data.ptr, count, dtype, stream)
        return []

    def reduce_scatter(self, recv, send, op):
        ptr, count, dtype, stream = self._args(recv)
        self.nccl_comm.reduceScatter(send.data.ptr, ptr, count, dtype, self.op(op), stream)
        return []

    def barrier(self):
        self.cupy.cuda.get_current_stream().synchronize()
        return super().barrier()


# -- the group ---------------------------------------------------------------------------------
def init_process_group(backend="mpi", init_method=None, timeout=None, world_size=-1, rank=-1):
    """Join the default process group: every rank calls it once, before any collective.

    Rank and world size come from MPI (``mpiexec -n P``, ``srun --mpi=pmi2``); `world_size`
    and `rank`, if given, must agree with them. ``backend``: ``"mpi"`` (NumPy arrays) or
    ``"nccl"`` (CuPy arrays; needs a CUDA GPU). From here on an exception that no one catches
    on any rank prints that rank's traceback and ends every rank (``faults.py``), instead of
    leaving the others waiting in their next collective.
    """
    global _group
    from . import faults, supervisor
    if _group is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: init_method {init_method!r} is not supported; "
                         "MPI (mpiexec, srun) finds the ranks")
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    if backend not in ("mpi", "nccl"):
        raise ValueError(f"init_process_group: backend must be 'mpi' or 'nccl', got {backend!r}")
    if backend == "nccl":
        from .. import cuda
        if not cuda.is_available():
            raise RuntimeError("init_process_group(backend='nccl') needs a CUDA GPU on every "
                               "rank, and CuPy finds none here; use backend='mpi'")
    supervisor.start()   # under mpiexec: a process that ends without finishing is reported
    group = _MPIGroup(timeout) if backend == "mpi" else _NCCLGroup(timeout)
    for name, given, actual in (("world_size", world_size, group.size), ("rank", rank, group.rank)):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"init_process_group: {name}={given}, but MPI says {actual}")
    _group = group
    faults.install()
    atexit.register(_leave_at_exit, os.getpid())   # after mpi4py's MPI_Finalize: runs before it


def _leave_at_exit(pid):
    """The script ended (returned, or sys.exit) without destroy_process_group: say so to the
    other ranks and wait for theirs before MPI is finalized (departures.py). Not in a forked
    child (a DataLoader worker), which is not the rank."""
    if _group is not None and os.getpid() == pid:
        _group.leave()


def is_available():
    """True when mpi4py can be imported (an MPI library is installed)."""
    try:
        _mpi()
    except RuntimeError:
        return False
    return True


def is_initialized():
    return _group is not None


def _default():
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return _group


def get_rank(group=None):
    return _default().rank


def get_world_size(group=None):
    return _default().size


def get_backend(group=None):
    return _default().backend


def destroy_process_group(group=None):
    global _group
    from . import faults
    if _group is not None:
        faults.uninstall()
        _group.destroy()
        _group = None


# -- collectives -------------------------------------------------------------------------------
class Work:
    """What ``async_op=True`` returns: ``wait()`` blocks until the collective is done."""

    def __init__(self, group, requests, what, finish=None):
        self.group, self.requests, self.what, self.finish = group, requests, what, finish
        self.done = False

    def is_completed(self):
        return self.done

    def wait(self, timeout=None):
        if not self.done:
            self.group.wait(self.requests, self.what)
            if self.finish is not None:
                self.finish()
            self.done = True
        return True


def _buffer(tensor, what):
    """The contiguous array a collective reads and writes in place: a Tensor's ``.data`` (or a
    NumPy/CuPy array itself)."""
    from ..tensor import Tensor
    data = tensor.data if isinstance(tensor, Tensor) else tensor
    if not (isinstance(data, np.ndarray) or is_cupy_array(data)):
        raise TypeError(f"{what}: expected a minidl.Tensor, got {type(tensor).__name__}")
    if not data.flags.c_contiguous:
        raise ValueError(f"{what}: the tensor must be contiguous (call .contiguous() first)")
    if not data.flags.writeable:
        raise ValueError(f"{what}: the tensor is read-only")
    if data.dtype == np.bool_:
        data = data.view(np.uint8)
    return data


def _run(group, requests, what, async_op, finish=None):
    work = Work(group, requests, what, finish)
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine `tensor` over all ranks, in place (every rank gets the result)."""
    g = _default()
    buf = _buffer(tensor, "all_reduce")
    finish = (lambda: np.divide(buf, g.size, out=buf, casting="unsafe")) \
        if op == ReduceOp.AVG else None
    return _run(g, g.all_reduce(buf, op), "all_reduce", async_op, finish)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank `src`'s `tensor` into every rank's, in place."""
    g = _default()
    if not 0 <= src < g.size:
        raise ValueError(f"broadcast: src {src} is not a rank (world size {g.size})")
    return _run(g, g.broadcast(_buffer(tensor, "broadcast"), src), "broadcast", async_op)


def _check_list(tensors, like, what, g):
    if len(tensors) != g.size:
        raise ValueError(f"{what}: expected a list of {g.size} tensors (one per rank), got "
                         f"{len(tensors)}")
    for t in tensors:
        if tuple(t.shape) != tuple(like.shape) or t.dtype != like.dtype:
            raise ValueError(f"{what}: every tensor must be {tuple(like.shape)} {like.dtype}, "
                             f"got {tuple(t.shape)} {t.dtype}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` <- rank r's `tensor`, on every rank."""
    g = _default()
    send = _buffer(tensor, "all_gather")
    _check_list(tensor_list, send, "all_gather", g)
    xp = np if isinstance(send, np.ndarray) else __import__("cupy")
    recv = xp.empty((g.size,) + send.shape, send.dtype)

    def finish():
        for t, part in zip(tensor_list, recv):
            _buffer(t, "all_gather")[...] = part
    return _run(g, g.all_gather(recv, send), "all_gather", async_op, finish)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """`output_tensor` (P·n, ...) <- the ranks' `input_tensor` (n, ...) stacked along dim 0."""
    g = _default()
    send, recv = _buffer(input_tensor, "all_gather_into_tensor"), \
        _buffer(output_tensor, "all_gather_into_tensor")
    if recv.size != g.size * send.size or recv.dtype != send.dtype:
        raise ValueError(f"all_gather_into_tensor: output must hold {g.size} × {send.shape} "
                         f"{send.dtype}, got {recv.shape} {recv.dtype}")
    return _run(g, g.all_gather(recv, send), "all_gather_into_tensor", async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """On rank r: `output` <- the sum over ranks of their ``input_list[r]``."""
    g = _default()
    recv = _buffer(output, "reduce_scatter")
    _check_list(input_list, recv, "reduce_scatter", g)
    xp = np if isinstance(recv, np.ndarray) else __import__("cupy")
    send = xp.stack([_buffer(t, "reduce_scatter") for t in input_list])
    finish = (lambda: np.divide(recv, g.size, out=recv, casting="unsafe")) \
        if op == ReduceOp.AVG else None
    return _run(g, g.reduce_scatter(recv, send, op), "reduce_scatter", async_op, finish)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """`output` (n, ...) on rank r <- the sum over ranks of rows r·n..(r+1)·n of `input`."""
    g = _default()
    recv, send = _buffer(output, "reduce_scatter_tensor"), _buffer(input, "reduce_scatter_tensor")
    if send.size != g.size * recv.size or recv.dtype != send.dtype:
        raise ValueError(f"reduce_scatter_tensor: input must hold {g.size} × {recv.shape} "
                         f"{recv.dtype}, got {send.shape} {send.dtype}")
    finish = (lambda: np.divide(recv, g.size, out=recv, casting="unsafe")) \
        if op == ReduceOp.AVG else None
    return _run(g, g.reduce_scatter(recv, send, op), "reduce_scatter_tensor", async_op, finish)


def barrier(group=None, async_op=False):
    """Wait until every rank has reached its barrier."""
    g = _default()
    return _run(g, g.barrier(), "barrier", async_op)
