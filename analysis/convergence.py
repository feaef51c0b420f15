"""Is a run's D converged? The criterion the run plan declares (``[convergence]`` in ``study/plan.toml``).

Three measures per run, all from its analysed frames (Å, ps, cm²/s):

- ``msd_end_A2``: the Li MSD at the end of the fit window. A hop between neighbouring Li sites is 2.5–3 Å, so
  20 Å² means a few hops per Li; below that D counts a handful of events.
- ``msd_slope_ratio``: the slope of MSD against t (not log-log) over the second half of the fit window over that of
  its first half. Diffusion gives 1 whatever the vibrational plateau, which adds a constant; the plain log-log slope
  of MSD(t) is biased low by that plateau, so it can neither confirm nor reject diffusion.
- ``halves_pull``: D from the first and from the second half of the run, (D₁ − D₂) over their combined σ; a
  converged run has no trend.
- ``grid_pull``: D of the run fitted again on a coarser grid of time lags (``GRID_CHECK_INTERVALS`` instead of
  ``diffusion.diffusion_coefficient``'s 100), (D − D_grid) over their combined σ. kinisi's generalised least squares
  uses the MSD's estimated covariance over the lags, which can be nearly singular: md-T550-seed2-pt (40 ps) gave
  D = 3.5e-7 cm²/s on 100 lags and 1.1e-5 on 50, with halves of 2.9e-5 and 2.2e-5. A D that depends on the grid
  is the estimator failing, not the physics.
"""

from __future__ import annotations

import math

import numpy as np

from analysis import diffusion


def msd_slope_ratio(time_ps: np.ndarray, msd_A2: np.ndarray, start_ps: float, end_ps: float) -> float:
    """Slope of MSD against t over the second half of the fit window divided by the slope over its first half
    (NaN with fewer than 3 lags in either). 1 for diffusion whatever the vibrational plateau (a constant has no
    slope); below 1 while the ions are still caged (MSD ∝ t^0.5 gives about 0.6 over 5–50 ps)."""
    time_ps, msd_A2 = np.asarray(time_ps), np.asarray(msd_A2)
    middle = 0.5 * (start_ps + end_ps)
    slopes = []
    for lo, hi in ((start_ps, middle), (middle, end_ps)):
        keep = (time_ps >= lo) & (time_ps <= hi)
        if keep.sum() < 3:
            return float("nan")
        slopes.append(np.polyfit(time_ps[keep], msd_A2[keep], 1)[0])
    return float(slopes[1] / slopes[0]) if slopes[0] > 0 else float("nan")


def halves(frames: list, sample_interval_ps: float, fit_start_ps: float, seed: int = 0) -> dict:
    """D (kinisi, cm²/s) of the first and of the second half of the frames, and how many combined standard
    deviations apart they are (``halves_pull``, first minus second)."""
    middle = len(frames) // 2
    if middle < 8:  # too few frames for two kinisi fits
        return {"D_half1_cm2_s": None, "D_half1_err_cm2_s": None, "D_half2_cm2_s": None, "D_half2_err_cm2_s": None,
                "halves_pull": float("nan")}
    first = diffusion.diffusion_coefficient([frames[:middle + 1]], sample_interval_ps, fit_start_ps, seed=seed)
    second = diffusion.diffusion_coefficient([frames[middle:]], sample_interval_ps, fit_start_ps, seed=seed)
    return {"D_half1_cm2_s": first["D_cm2_s"], "D_half1_err_cm2_s": first["D_err_cm2_s"],
            "D_half2_cm2_s": second["D_cm2_s"], "D_half2_err_cm2_s": second["D_err_cm2_s"],
            "halves_pull": _pull(first, second)}


GRID_CHECK_INTERVALS = 50  # lags of the second fit (the first: diffusion.diffusion_coefficient's n_intervals, 100)


def grid_check(frames: list, sample_interval_ps: float, fit: dict, seed: int = 0) -> dict:
    """D (kinisi, cm²/s) of the same frames on ``GRID_CHECK_INTERVALS`` lags, and how many combined standard
    deviations the run's D (``fit``) lies from it (``grid_pull``)."""
    other = diffusion.diffusion_coefficient([frames], sample_interval_ps, fit["fit_start_ps"],
                                            n_intervals=GRID_CHECK_INTERVALS, seed=seed)
    return {"D_grid_cm2_s": other["D_cm2_s"], "D_grid_err_cm2_s": other["D_err_cm2_s"],
            "grid_pull": _pull(fit, other)}


def _pull(a: dict, b: dict) -> float:
    """(D_a − D_b) over their combined standard deviation (NaN when both errors are zero)."""
    sigma = math.hypot(a["D_err_cm2_s"], b["D_err_cm2_s"])
    return (a["D_cm2_s"] - b["D_cm2_s"]) / sigma if sigma > 0 else float("nan")


def verdict(measures: dict, rule: dict) -> dict:
    """Whether a run passes the plan's rule (``min_msd_A2``, ``max_halves_pull``, ``min_slope_ratio`` and, when the
    rule has it, ``max_grid_pull``), with the reasons it does not (``converged``, ``convergence_reasons``)."""
    reasons = []
    if not measures["msd_end_A2"] >= rule["min_msd_A2"]:
        reasons.append(f"MSD {measures['msd_end_A2']:.1f} Å² < {rule['min_msd_A2']:g} Å² at the end of the fit window")
    if not abs(measures["halves_pull"]) <= rule["max_halves_pull"]:
        reasons.append(f"halves differ by {abs(measures['halves_pull']):.1f} σ > {rule['max_halves_pull']:g} σ")
    ratio = measures["msd_slope_ratio"]
    if ratio != ratio or ratio is None:  # NaN: no rise over the first half of the fit window, or too few lags
        reasons.append("MSD slope ratio undefined (no rise of the MSD over the first half of the fit window, "
                       "or too few time lags)")
    elif not ratio >= rule["min_slope_ratio"]:
        reasons.append(f"MSD slope falls to {ratio:.2f} of its early value (< {rule['min_slope_ratio']:g}): still caged")
    if rule.get("max_grid_pull") is not None and not abs(measures["grid_pull"]) <= rule["max_grid_pull"]:
        reasons.append(f"D changes by {abs(measures['grid_pull']):.1f} σ > {rule['max_grid_pull']:g} σ on a coarser "
                       f"lag grid: kinisi's fit is unstable")
    return {"converged": not reasons, "convergence_reasons": reasons}


def measure(frames: list, sample_interval_ps: float, time_ps: np.ndarray, msd_A2: np.ndarray, fit: dict,
            rule: dict | None, seed: int = 0) -> dict:
    """All four measures of one run and, with a rule, its verdict (``fit``: the run's kinisi result)."""
    out = {"msd_end_A2": float(np.interp(fit["fit_end_ps"], time_ps, msd_A2)),
           "msd_slope_ratio": msd_slope_ratio(time_ps, msd_A2, fit["fit_start_ps"], fit["fit_end_ps"]),
           **halves(frames, sample_interval_ps, fit["fit_start_ps"], seed),
           **grid_check(frames, sample_interval_ps, fit, seed)}
    return {**out, **(verdict(out, rule) if rule else {"converged": None, "convergence_reasons": []})}
