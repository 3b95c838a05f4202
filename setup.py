"""minidl: a deep learning framework written from scratch on NumPy and CuPy.

`kernels/` at the top of the repository is installed as the subpackage `minidl.kernels`
(through `package_dir`), so no top-level package called plain `kernels` is installed.
"""
from setuptools import find_packages, setup

core_packages = find_packages(include=["minidl", "minidl.*"])
kernel_packages = ["minidl." + p for p in find_packages(include=["kernels", "kernels.*"])]

setup(
    name="minidl",
    version="0.1.0",
    description="A readable deep learning framework on NumPy/CuPy with hand-written Numba kernels",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=core_packages + kernel_packages,
    package_dir={"minidl.kernels": "kernels"},
    package_data={"minidl.data": ["embedded/*.gz", "embedded/*.json", "embedded/*.md",
                                  "imagenet_classes.txt"],
                  # the course's stubs: templates `start` copies, not modules of minidl
                  "minidl.course": ["stubs/*.py"]},
    install_requires=["numpy>=1.24", "numba>=0.59", "threadpoolctl>=3"],   # threadpoolctl: the
    # Winograd conv kernel runs OpenBLAS single-threaded inside its own per-core threads
    extras_require={
        # numba.cuda is maintained in NVIDIA's numba-cuda package (the kernels' cuda.py files)
        "cuda": ["cupy-cuda12x", "numba-cuda[cu12]"],
        "examples": ["tqdm", "matplotlib", "pillow"],
        "test": ["pytest", "hypothesis", "tqdm", "matplotlib", "pillow", "safetensors", "threadpoolctl"],
        "bench": ["threadpoolctl", "tqdm", "matplotlib", "pillow"],
        # minidl.distributed: MPI through mpi4py; the mpich wheel brings MPICH and mpiexec
        "mpi": ["mpi4py", "mpich"],
        # examples/experiments: matplotlib for the reports' plots, scikit-learn for its bundled
        # 8x8 digits (the transferability experiment's dissimilar target; nothing is downloaded)
        "experiments": ["matplotlib", "scikit-learn"],
        # minidl.onnx.export builds the graph with onnx; onnxruntime runs the exported files
        "onnx": ["onnx", "onnxruntime"],
        # minidl.utils.tensorboard.SummaryWriter writes TensorBoard's event files with tensorboardX
        "tensorboard": ["tensorboardX"],
        # the guide's chapters as Jupyter notebooks (docs/make_notebooks.py) and the test that
        # runs two of them; jupytext brings nbformat
        "notebooks": ["jupytext", "nbclient", "ipykernel"],
        # benchmarks/run.py --peers: JAX (jit, XLA on the CPU) and tinygrad (TinyJit); tinygrad's
        # CPU device compiles its kernels with clang (Debian: apt-get install clang)
        "peers": ["jax[cpu]", "tinygrad"],
    },
)
