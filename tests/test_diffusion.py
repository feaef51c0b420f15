"""MSD and diffusion coefficients (analysis.diffusion): known-answer tests on random walks."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from analysis import diffusion

SYMBOLS = ["Li"] * 27 + ["P"] * 12 + ["S"] * 44


def random_walk(D_cm2_s: float, dt_ps: float, n_frames: int, seed: int, cell_A: float = 12.0) -> list[Atoms]:
    """27 Li on a 3D Gaussian random walk with diffusion coefficient D, framework fixed."""
    rng = np.random.default_rng(seed)
    sigma_A = np.sqrt(2 * D_cm2_s * 1e4 * dt_ps)  # per Cartesian component; 1 cm²/s = 1e4 Å²/ps
    steps = np.zeros((n_frames, len(SYMBOLS), 3))
    steps[1:, :27] = rng.normal(0.0, sigma_A, (n_frames - 1, 27, 3))
    positions = rng.uniform(0, cell_A, (len(SYMBOLS), 3)) + np.cumsum(steps, axis=0)
    return [Atoms(SYMBOLS, positions=p, cell=[cell_A] * 3, pbc=True) for p in positions]


def test_unwrapping_recovers_positions_from_wrapped_frames():
    frames = random_walk(5e-5, 0.02, 300, seed=3)
    wrapped = [f.copy() for f in frames]
    for f in wrapped:
        f.wrap()
    assert np.allclose(diffusion.unwrap_positions(wrapped) - diffusion.unwrap_positions(wrapped)[0],
                       np.array([f.positions for f in frames]) - frames[0].positions, atol=1e-8)


def test_msd_of_random_walk_has_slope_6D():
    D = 2e-5
    frames = random_walk(D, 0.02, 1500, seed=4)
    t, m = diffusion.msd(frames, 0.02)
    slope = np.polyfit(t, m, 1)[0]
    assert slope / 6 / 1e4 == pytest.approx(D, rel=0.15)
    assert diffusion.msd_exponent(t, m, 0.5) == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("seed", [0, 1])
def test_kinisi_recovers_known_D_within_its_error(seed):
    D = 1e-5
    frames = random_walk(D, 0.02, 1500, seed=seed)
    result = diffusion.diffusion_coefficient([frames], 0.02, start_dt_ps=1.0, seed=0)
    assert abs(result["D_cm2_s"] - D) < 3 * result["D_err_cm2_s"]
    assert 0.02 < result["D_err_cm2_s"] / result["D_cm2_s"] < 0.5  # an honest, non-trivial error bar


def test_kinisi_pools_independent_runs():
    D = 1e-5
    runs = [random_walk(D, 0.02, 800, seed=s) for s in (10, 11)]
    single = diffusion.diffusion_coefficient(runs[:1], 0.02, 1.0)
    pooled = diffusion.diffusion_coefficient(runs, 0.02, 1.0)
    assert abs(pooled["D_cm2_s"] - D) < 3 * pooled["D_err_cm2_s"]
    assert pooled["D_err_cm2_s"] < single["D_err_cm2_s"]


def test_same_seed_same_D():
    frames = random_walk(1e-5, 0.02, 400, seed=5)
    a = diffusion.diffusion_coefficient([frames], 0.02, 1.0, seed=7)
    b = diffusion.diffusion_coefficient([frames], 0.02, 1.0, seed=7)
    assert a == b


def test_combine_keeps_scatter_when_runs_disagree():
    agree = diffusion.combine([1.0e-5, 1.02e-5], [0.1e-5, 0.1e-5])
    assert agree["D_err_cm2_s"] == pytest.approx(agree["propagated_err_cm2_s"])
    disagree = diffusion.combine([1.0e-5, 2.0e-5], [0.05e-5, 0.05e-5])
    assert disagree["D_err_cm2_s"] == pytest.approx(0.5e-5)  # std/√2 of the two values
    assert disagree["chi2_red"] > 10


def test_direct_conductivity_sees_the_correlation_the_tracer_d_cannot():
    """Li that all move together conduct 27 times what their tracer D says (Haven ratio 1/27); independent walkers
    conduct what it says (H_R about 1, within the collective displacement's large noise)."""
    from ase import Atoms

    from analysis import arrhenius, diffusion

    rng = np.random.default_rng(5)
    n_frames, n_li, dt_ps, T = 400, 27, 0.1, 600.0
    cell = 20.0
    base = rng.uniform(0, cell, size=(n_li + 1, 3))

    def frames(steps):
        positions = base + np.cumsum(steps, axis=0)
        positions[:, -1] = base[-1]  # one fixed P as the framework
        return [Atoms(["Li"] * n_li + ["P"], positions=p, cell=[cell] * 3, pbc=True) for p in positions]

    together = np.repeat(rng.normal(0, 0.3, size=(n_frames, 1, 3)), n_li + 1, axis=1)
    independent = rng.normal(0, 0.3, size=(n_frames, n_li + 1, 3))
    ratios = []
    for steps in (together, independent):
        runs = [frames(steps), frames(np.roll(steps, 7, axis=0))]
        D = diffusion.diffusion_coefficient(runs, dt_ps, 1.0)["D_cm2_s"]
        sigma = diffusion.conductivity(runs, dt_ps, 1.0, T)["sigma_S_cm"]
        ratios.append(arrhenius.nernst_einstein_conductivity(D, n_li, cell**3, T) / sigma)  # Haven ratio
    assert 0.02 < ratios[0] < 0.07  # 1/27 = 0.037
    assert 0.3 < ratios[1] < 3.0
