"""The convergence criterion (analysis/convergence.py) on MSDs and runs whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from analysis import convergence, temperature_series

RULE = {"min_msd_A2": 20.0, "max_halves_pull": 2.0, "min_slope_ratio": 0.7}


def test_the_slope_ratio_sees_diffusion_behind_a_vibrational_plateau():
    t = np.linspace(0.1, 50.0, 500)
    plateau, D = 6.0, 0.1  # Å², Å²/ps: a cold run, where the plateau is a large part of the MSD
    msd = plateau + 6 * D * t  # caged vibration, then diffusion
    plain = np.polyfit(np.log(t[t >= 5]), np.log(msd[t >= 5]), 1)[0]
    assert plain < 0.8  # the plain log-log slope is biased low by the plateau
    assert abs(convergence.msd_slope_ratio(t, msd, 5.0, 50.0) - 1.0) < 1e-9
    caged = plateau + 0.5 * np.sqrt(t)  # sub-diffusive
    assert 0.55 < convergence.msd_slope_ratio(t, caged, 5.0, 50.0) < 0.65


def test_the_verdict_names_every_failed_criterion():
    good = {"msd_end_A2": 35.0, "halves_pull": 0.5, "msd_slope_ratio": 0.97}
    assert convergence.verdict(good, RULE) == {"converged": True, "convergence_reasons": []}
    bad = {"msd_end_A2": 4.2, "halves_pull": -3.1, "msd_slope_ratio": 0.6}
    v = convergence.verdict(bad, RULE)
    assert not v["converged"] and len(v["convergence_reasons"]) == 3
    assert "MSD 4.2 Å² < 20 Å²" in v["convergence_reasons"][0] and "3.1 σ > 2 σ" in v["convergence_reasons"][1]
    assert not convergence.verdict({**good, "halves_pull": float("nan")}, RULE)["converged"]  # unknown fails
    flat = convergence.verdict({**good, "msd_slope_ratio": float("nan")}, RULE)  # e.g. a caged 350-K run
    assert not flat["converged"] and flat["convergence_reasons"] == [
        "MSD slope ratio undefined (no rise of the MSD over the first half of the fit window, or too few time lags)"]
    t = np.linspace(0.0, 50.0, 101)
    assert np.isnan(convergence.msd_slope_ratio(t, 1.0 - 0.01 * t, 5.0, 50.0))  # an MSD that does not rise


def test_halves_of_a_random_walk_agree_and_too_short_runs_say_so():
    rng = np.random.default_rng(3)
    n_frames, n_li = 400, 27
    steps = rng.normal(0.0, 0.35, size=(n_frames, n_li + 1, 3))  # Å per 0.1 ps; the last atom is a fixed P
    steps[:, -1] = 0.0
    positions = 5.0 + np.cumsum(steps, axis=0)
    frames = [Atoms(["Li"] * n_li + ["P"], positions=p, cell=[40.0] * 3, pbc=False) for p in positions]
    halves = convergence.halves(frames, 0.1, 1.0)
    assert abs(halves["halves_pull"]) < 3 and halves["D_half1_cm2_s"] > 0 and halves["D_half2_cm2_s"] > 0
    assert np.isnan(convergence.halves(frames[:12], 0.1, 0.2)["halves_pull"])


def test_a_d_that_depends_on_the_lag_grid_fails_the_verdict():
    good = {"msd_end_A2": 35.0, "halves_pull": 0.5, "msd_slope_ratio": 0.97, "grid_pull": 0.3}
    rule = {**RULE, "max_grid_pull": 2.0}
    assert convergence.verdict(good, rule)["converged"]
    v = convergence.verdict({**good, "grid_pull": -3.4}, rule)
    assert not v["converged"] and v["convergence_reasons"] == [
        "D changes by 3.4 σ > 2 σ on a coarser lag grid: kinisi's fit is unstable"]
    assert convergence.verdict({**good, "grid_pull": -3.4}, RULE)["converged"]  # a rule without it: not judged


def test_a_random_walk_fits_the_same_d_on_either_lag_grid():
    rng = np.random.default_rng(5)
    steps = rng.normal(0.0, 0.35, size=(400, 28, 3))  # Å per 0.1 ps; the last atom is a fixed P
    steps[:, -1] = 0.0
    frames = [Atoms(["Li"] * 27 + ["P"], positions=p, cell=[40.0] * 3, pbc=False)
              for p in 5.0 + np.cumsum(steps, axis=0)]
    fit = convergence.diffusion.diffusion_coefficient([frames], 0.1, 1.0)
    check = convergence.grid_check(frames, 0.1, fit)
    assert abs(check["grid_pull"]) < 1 and check["D_grid_cm2_s"] > 0


def _judged_run(T: float, seed: int, D: float, converged: bool) -> dict:
    """An analysed run as temperature_series.analyse records it, with the verdict of the plan's rule."""
    return {"run_name": f"md-T{T:g}-seed{seed}", "temperature_K": T, "seed": seed, "D_cm2_s": D,
            "D_err_cm2_s": 0.2 * D, "production_ps": 160.0, "msd_exponent": 0.8, "rms_displacement_at_fit_end_A": 3.0,
            "broken_PS4_fraction": 0.0, "msd_end_A2": 25.0 if converged else 9.0, "converged": converged,
            "convergence_reasons": [] if converged else ["MSD 9.0 Å² < 20 Å² at the end of the fit window"]}


def test_a_temperature_without_a_converged_run_leaves_the_fit_but_is_kept_to_be_shown():
    runs = [_judged_run(300, 1, 1e-7, False), _judged_run(300, 2, 3e-7, False),
            _judged_run(400, 1, 2e-6, True), _judged_run(400, 2, 1e-6, False)]
    result = {"per_run": runs, "per_temperature": temperature_series.per_temperature(runs),
              "msd_curves": {300: ["a", "b"], 400: ["c", "d"]}, "frames": {300: ["a", "b"], 400: ["c", "d"]}}
    with pytest.warns(UserWarning, match="not converged"):
        fit, excluded = temperature_series.leave_out_unconverged(result, [])
    assert [r["run_name"] for r in fit["per_run"]] == ["md-T400-seed1"]
    assert [(r["temperature_K"], r["n_runs"]) for r in fit["per_temperature"]] == [(400, 1)]
    assert fit["frames"] == {400: ["c"]} and set(fit["msd_curves"]) == {400}
    assert [e["run_name"] for e in excluded] == ["md-T300-seed1", "md-T300-seed2", "md-T400-seed2"]
    assert all(e["reason"].startswith("not converged: MSD") for e in excluded)
    left = fit["left_out"]  # every failed run, and per temperature only where no run passed
    assert [r["run_name"] for r in left["per_run"]] == [e["run_name"] for e in excluded]
    [cold] = left["per_temperature"]
    assert cold["temperature_K"] == 300 and cold["n_runs"] == 2 and cold["n_converged"] == 0
    assert 1e-7 < cold["D_cm2_s"] < 3e-7
