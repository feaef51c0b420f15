"""Pinned numerics, so that the same inputs give the same numbers on every machine.

kinisi's fit inverts the MSD covariance after reconditioning it to a condition number of up to 1e16
(``cond_max``), so the last-bit rounding of the BLAS kernel reaches the result: on the same
positions, OpenBLAS's SkylakeX kernel and its Haswell kernel gave D values 0.3-3 % apart (well
inside the statistical error, but enough to change committed numbers between machines). OpenBLAS
picks its kernel from the CPU at load time unless ``OPENBLAS_CORETYPE`` names one, so the study
names one: Haswell (AVX2), which every x86-64 CPU of the last decade runs. numpy's own SIMD
dispatch made no difference (tested with ``NPY_DISABLE_CPU_FEATURES``).

The variable must be set before numpy is first imported: the Makefile exports it, the notebook
runner passes it to every notebook's kernel, and ``tests/conftest.py`` sets it for the tests.
"""

from __future__ import annotations

import os
import platform

BLAS_CORETYPE_X86_64 = "Haswell"
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pinned_environment() -> dict[str, str]:
    """The environment variables the study pins (kernel on x86-64, one thread per process)."""
    env = {name: "1" for name in ONE_THREAD}
    if platform.machine() in ("x86_64", "AMD64"):
        env["OPENBLAS_CORETYPE"] = BLAS_CORETYPE_X86_64
    return env


def pin(environ=os.environ) -> None:
    """Set the pinned variables where they are not set (effective for numpy imported afterwards)."""
    for name, value in pinned_environment().items():
        environ.setdefault(name, value)


def blas_kernels() -> list[str]:
    """The kernels the loaded OpenBLAS libraries run (e.g. ``['Haswell']``), via threadpoolctl."""
    import threadpoolctl

    return sorted({str(i.get("architecture")) for i in threadpoolctl.threadpool_info()
                   if i.get("internal_api") == "openblas"})


def is_pinned() -> bool:
    """Whether this process runs the pinned BLAS kernel (always true off x86-64)."""
    wanted = pinned_environment().get("OPENBLAS_CORETYPE")
    return wanted is None or blas_kernels() in ([wanted], [])
