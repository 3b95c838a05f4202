"""One worker process per framework: the suite times minidl and PyTorch in separate processes.

Why not one process: both frameworks bring thread pools (OpenBLAS's, which spin for a while
after each GEMM; Numba's OpenMP; PyTorch's own OpenMP), and in one process they get in each
other's way. Measured on the 2-core machine: minidl's AlexNet step took 2.1 s alternating with
PyTorch in one process and 0.7 s in a process of its own. No user runs both at once, so each
framework gets a process that imports it first, and the parent alternates requests between them.

    with Worker("minidl") as m, Worker("torch") as t:
        m.setup("step", ("net", "alexnet", 32, "train", None))
        a = m.runner("step")            # measure.compare() accepts runners like callables
        ...

The child side (`serve`) reads one JSON request per line on stdin and answers one line on
its original stdout; anything else the libraries print goes to stderr. Each timed run is
measured inside the worker (`measure._run_once`), so the CPU that is "ours" is the worker's.
"""
import gc
import importlib
import json
import os
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ("jax", "tinygrad")   # the optional peers (`peers/`), each in a worker of its own
PEER_ENV = {"jax": {"JAX_PLATFORMS": "cpu"}, "tinygrad": {"DEV": "CPU"}}   # the CPU, always


class WorkerError(RuntimeError):
    pass


class Worker:
    """framework: "minidl", "torch" or a peer ("jax", "tinygrad"); env: extra environment
    variables for the process; label: its name in the tables (default: the framework's);
    conv_algo: the minidl worker runs everything inside
    ``minidl.kernels.use(conv_algo=conv_algo)``."""

    def __init__(self, framework, torch_threads=None, env=None, label=None, conv_algo=None):
        env = dict(os.environ, **PEER_ENV.get(framework, {}), **(env or {}))
        if torch_threads:
            env["BENCH_TORCH_THREADS"] = str(torch_threads)
        if framework == "minidl":   # OpenBLAS's idle threads sleep at once (kernels/threads.py)
            env.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
        self.framework, self.label = framework, label or framework
        argv = [framework] + ([conv_algo] if conv_algo else [])
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + argv,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env, cwd=HERE)

    def call(self, cmd, **args):
        self.proc.stdin.write(json.dumps(dict(args, cmd=cmd)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"{self.framework} worker died (exit code {self.proc.wait()}); "
                              "its stderr is above")
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(f"{self.framework} worker, {cmd} {args}:\n{reply['error']}")
        return reply

    def setup(self, key, spec):
        return self.call("setup", key=key, spec=list(spec))

    def runner(self, key):
        return RemoteRunner(self, key)

    def free(self, *keys):
        for key in keys:
            self.call("free", key=key)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call("quit")
            except (WorkerError, OSError, ValueError):
                pass
            self.proc.wait(timeout=60)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class RemoteRunner:
    """What `measure` needs from a figure: calibrate(min_run) -> calls per run, sample(inner)."""

    def __init__(self, worker, key):
        self.worker, self.key = worker, key

    def calibrate(self, min_run):
        return self.worker.call("calibrate", key=self.key, min_run=min_run)["inner"]

    def sample(self, inner):
        import measure
        return measure.Sample(**self.worker.call(
            "sample", key=self.key, inner=inner, expected_others=measure.EXPECTED_OTHERS)["sample"])


# ---------------------------------------------------------------------------------------------
# The child side


def _info(framework):
    import machine
    if framework == "torch":
        import torch
        return {"PyTorch": f"{torch.__version__} ({torch.get_num_threads()} threads)"}
    if framework == "jax":
        import jax
        return {"JAX": f"{jax.__version__} (XLA on {jax.devices()[0].platform}, "
                       f"{jax.device_count()} device)"}
    if framework == "tinygrad":
        from importlib.metadata import version
        from tinygrad.helpers import NUM_CPU_THREADS
        return {"tinygrad": f"{version('tinygrad')} (CPU device, clang, "
                            f"{NUM_CPU_THREADS.value} threads)"}
    import numba
    import numpy as np
    from minidl.kernels.threads import configure
    # minidl's kernels set up OpenMP (idle threads sleep) when their module loads; running
    # Numba's first parallel loop before that would start OpenMP with spinning threads, and
    # minidl's step would take ~3x longer (measured): configure exactly as the kernels do.
    configure()
    return {"BLAS (NumPy)": machine.blas()[0], "Numba threading layer": machine.numba_threading(),
            "NumPy": np.__version__, "Numba": numba.__version__, "SciPy": machine.scipy()}


def serve(framework, conv_algo=None):
    # The framework is imported first, before NumPy (for torch: its own OpenMP comes first).
    if framework == "minidl":
        kernels = importlib.import_module("minidl.kernels")
        with kernels.use(conv_algo=conv_algo):
            return _serve(framework)
    if framework in PEERS:
        importlib.import_module(framework)
        return _serve(framework)
    import torch
    torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", os.cpu_count() or 1)))
    return _serve(framework)


def _serve(framework):
    sys.path.insert(0, HERE)
    import measure
    import workloads

    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)   # stray prints from the libraries go to stderr, not into the protocol
    figures = {}
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        try:
            if cmd == "quit":
                reply = {}
            elif cmd == "info":
                reply = {"info": _info(framework)}
            elif cmd == "setup":
                figures[msg["key"]] = workloads.build(framework, msg["spec"])
                reply = {}
            elif cmd == "calibrate":
                reply = {"inner": measure._calls_per_run(figures[msg["key"]], msg["min_run"])}
            elif cmd == "sample":
                measure.EXPECTED_OTHERS = msg.get("expected_others", 0.0)
                s = measure._run_once(figures[msg["key"]], msg["inner"])
                reply = {"sample": {"seconds": s.seconds, "others": s.others, "clean": s.clean}}
            elif cmd == "logits":
                reply = {"logits": figures[msg["key"]].logits().tolist()}
            elif cmd == "updates":   # one SGD step's weight updates, sampled (peers/check.py)
                reply = {"updates": figures[msg["key"]].updates()}
            elif cmd == "free":
                figures.pop(msg["key"], None)
                gc.collect()
                reply = {}
            elif cmd == "profile":
                import profile_step
                if framework == "minidl":
                    rows, total = profile_step.minidl_profile(*msg["args"])
                else:
                    rows, total, _ = profile_step.torch_profile(*msg["args"])
                reply = {"rows": rows, "total": total}
            else:
                reply = {"error": f"unknown command {cmd!r}"}
        except Exception:
            reply = {"error": traceback.format_exc()}
        proto.write(json.dumps(reply) + "\n")
        proto.flush()
        if cmd == "quit":
            break


if __name__ == "__main__":
    serve(*sys.argv[1:])
