"""Pinned numerics (analysis.numerics): the same diffusion numbers in every process."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from analysis import numerics, paths

# the diffusion analysis of a committed run (its positions.npz): a case where the BLAS kernel shows in the digits
ANALYSE = """
import json
from analysis import diffusion, numerics, paths, run_files
frames, interval_fs = run_files.read_positions(paths.ROOT / "data" / "runs" / "md-T400-seed1")
halves = [frames[: len(frames) // 2], frames[len(frames) // 2:]]
runs = [diffusion.diffusion_coefficient([h], interval_fs / 1000, 5.0) for h in [frames, *halves]]
print(json.dumps({"kernels": numerics.blas_kernels(), "D": [r["D_cm2_s"] for r in runs],
                  "err": [r["D_err_cm2_s"] for r in runs],
                  "combined": diffusion.combine([r["D_cm2_s"] for r in runs[1:]], [r["D_err_cm2_s"] for r in runs[1:]])}))
"""


def _analyse(env_overrides: dict) -> dict:
    env = {**os.environ, **env_overrides}
    out = subprocess.run([sys.executable, "-c", ANALYSE], env=env, cwd=paths.ROOT, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_tests_run_with_the_pinned_environment():
    for name, value in numerics.pinned_environment().items():
        assert os.environ[name] == value
    assert numerics.is_pinned(), numerics.blas_kernels()


def test_diffusion_analysis_twice_in_fresh_processes_gives_identical_numbers():
    first, second = _analyse({}), _analyse({})
    assert first == second  # exactly, every digit
    assert first["D"][0] > 0 and first["combined"]["n_runs"] == 2


def _has_avx512() -> bool:
    try:
        return "avx512f" in open("/proc/cpuinfo").read()
    except OSError:
        return False


@pytest.mark.skipif(platform.machine() != "x86_64" or not _has_avx512(), reason="needs an x86-64 CPU with AVX-512")
def test_the_pin_is_what_makes_it_machine_independent():
    """The AVX-512 kernel (which OpenBLAS picks by itself on many Intel CPUs) gives other digits: the pin is needed,
    and it holds."""
    pinned = _analyse({})
    assert pinned["kernels"] == [numerics.BLAS_CORETYPE_X86_64]
    other = _analyse({"OPENBLAS_CORETYPE": "SkylakeX"})
    assert other["kernels"] == ["SkylakeX"]
    assert other["D"] != pinned["D"] or other["err"] != pinned["err"]
