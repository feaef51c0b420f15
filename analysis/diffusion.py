"""Li mean-squared displacement and self-diffusion coefficient.

``msd`` is our own time-origin-averaged MSD from unwrapped positions, for plots and checks.
``diffusion_coefficient`` uses kinisi (McCluskey et al., J. Chem. Theory Comput. 21, 79 (2025)),
which fits the MSD with its full covariance (overlapping time origins make MSD points strongly
correlated; an ordinary least-squares error bar is far too small) and returns the posterior of D.
As measured on this machine, kinisi's default set of time intervals is slow and biased on short
runs; we pass about 100 intervals up to half the run.

Units: time in ps, MSD in Å², D in cm²/s.
"""

from __future__ import annotations

import warnings

import numpy as np
from ase import Atoms

from analysis import numerics

A2_PER_PS_TO_CM2_PER_S = 1e-16 / 1e-12


def unwrap_positions(frames: list[Atoms]) -> np.ndarray:
    """Cartesian positions (n_frames, n_atoms, 3) in Å with periodic jumps removed.

    Each frame-to-frame displacement is taken as its minimum image, so this is right for
    wrapped and unwrapped input alike as long as no atom moves half a cell between frames.
    """
    cell = np.asarray(frames[0].cell)
    frac = np.array([f.get_scaled_positions(wrap=False) for f in frames])
    steps = np.diff(frac, axis=0)
    steps -= np.round(steps)
    unwrapped = np.concatenate([frac[:1], frac[:1] + np.cumsum(steps, axis=0)])
    return unwrapped @ cell


def msd(frames: list[Atoms], sample_interval_ps: float, species: str = "Li",
        max_lag_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Time lags (ps) and the species' MSD (Å²), averaged over atoms and all time origins."""
    if len(frames) < 3:
        raise ValueError(f"need at least 3 frames for an MSD, got {len(frames)}")
    positions = unwrap_positions(frames)
    mask = np.array(frames[0].get_chemical_symbols()) == species
    # remove any drift of the framework (the other species), as kinisi does
    x = positions[:, mask] - positions[:, ~mask].mean(axis=1, keepdims=True)
    n_lags = max(2, int(len(frames) * max_lag_fraction))
    lags = np.arange(1, n_lags)
    values = np.array([np.mean(np.sum((x[lag:] - x[:-lag]) ** 2, axis=-1)) for lag in lags])
    return lags * sample_interval_ps, values


def msd_exponent(time_ps: np.ndarray, msd_A2: np.ndarray, start_ps: float) -> float:
    """Log-log slope of the MSD beyond ``start_ps`` (1 for diffusion, 2 ballistic, <1 caged)."""
    keep = time_ps >= start_ps
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(time_ps[keep]), np.log(msd_A2[keep]), 1)[0])


def diffusion_coefficient(
    trajectories: list[list[Atoms]],
    sample_interval_ps: float,
    start_dt_ps: float,
    species: str = "Li",
    n_intervals: int = 100,
    seed: int = 0,
) -> dict:
    """Self-diffusion coefficient of ``species`` with kinisi.

    ``trajectories`` is one run, or several independent runs at the same temperature (different
    velocity seeds; kinisi's ``identical`` mode pools them). The fit uses the MSD from
    ``start_dt_ps`` (after the ballistic/caged regime) to half the run.
    Returns D (posterior mean) and D_err (posterior standard deviation) in cm²/s.
    """
    import scipp as sc
    from kinisi.analyze import DiffusionAnalyzer

    if not numerics.is_pinned():
        warnings.warn(f"BLAS kernel {numerics.blas_kernels()}, not the pinned {numerics.pinned_environment()}: "
                      "D may differ from the committed results by ~1 % (see analysis.numerics)", stacklevel=2)
    n_frames = min(len(t) for t in trajectories)
    if n_frames < 4:
        raise ValueError(f"need at least 4 frames per trajectory for kinisi, got {n_frames}")
    trajectories = [t[:n_frames] for t in trajectories]
    total_ps = (n_frames - 1) * sample_interval_ps
    max_index = max(2, (n_frames - 1) // 2)
    lag_index = np.unique(np.linspace(1, max_index, min(n_intervals, max_index)).round().astype(int))
    dt = sc.array(dims=["time interval"], values=lag_index * sample_interval_ps, unit="ps")
    start_dt_ps = min(start_dt_ps, 0.5 * lag_index[-1] * sample_interval_ps)
    analyzer = DiffusionAnalyzer.from_ase(
        trajectories if len(trajectories) > 1 else trajectories[0],
        specie=species,
        time_step=sc.scalar(sample_interval_ps, unit="ps"),
        step_skip=sc.scalar(1, unit=sc.units.dimensionless),
        dtype="identical" if len(trajectories) > 1 else None,
        dt=dt,
        progress=False,
    )
    analyzer.diffusion(
        sc.scalar(start_dt_ps, unit="ps"),
        progress=False,
        random_state=np.random.RandomState(seed),
    )
    samples = np.asarray(analyzer.D.values, dtype=float)
    return {
        "D_cm2_s": float(np.mean(samples)),
        "D_err_cm2_s": float(np.std(samples)),
        "D_ci95_cm2_s": [float(np.percentile(samples, 2.5)), float(np.percentile(samples, 97.5))],
        "fit_start_ps": float(start_dt_ps),
        "fit_end_ps": float(lag_index[-1] * sample_interval_ps),
        "run_length_ps": float(total_ps),
        "n_trajectories": len(trajectories),
    }


def conductivity(trajectories: list[list[Atoms]], sample_interval_ps: float, start_dt_ps: float, temperature_K: float,
                 species: str = "Li", n_intervals: int = 100, seed: int = 0) -> dict:
    """Ionic conductivity (S/cm) measured directly with kinisi from the mean-squared displacement of the species'
    centre of charge (charge +1 each), pooling independent runs at one temperature (all cut to the shortest).
    Unlike the tracer D it includes the correlations between ions (no Haven ratio assumed), and it is much noisier:
    one collective displacement per run instead of one per ion."""
    import scipp as sc
    from kinisi.analyze import ConductivityAnalyzer

    n_frames = min(len(t) for t in trajectories)
    if n_frames < 4:
        raise ValueError(f"need at least 4 frames per trajectory for kinisi, got {n_frames}")
    trajectories = [t[:n_frames] for t in trajectories]
    max_index = max(2, (n_frames - 1) // 2)
    lag_index = np.unique(np.linspace(1, max_index, min(n_intervals, max_index)).round().astype(int))
    start_dt_ps = min(start_dt_ps, 0.5 * lag_index[-1] * sample_interval_ps)
    analyzer = ConductivityAnalyzer.from_ase(
        trajectories if len(trajectories) > 1 else trajectories[0], specie=species,
        time_step=sc.scalar(sample_interval_ps, unit="ps"), step_skip=sc.scalar(1, unit=sc.units.dimensionless),
        ionic_charge=sc.scalar(1, unit="e"), dtype="identical" if len(trajectories) > 1 else None,
        dt=sc.array(dims=["time interval"], values=lag_index * sample_interval_ps, unit="ps"), progress=False)
    analyzer.conductivity(sc.scalar(start_dt_ps, unit="ps"), sc.scalar(float(temperature_K), unit="K"), progress=False,
                          random_state=np.random.RandomState(seed))
    samples = np.asarray(sc.to_unit(analyzer.sigma, "S/cm").values, dtype=float)
    return {"sigma_S_cm": float(np.mean(samples)), "sigma_err_S_cm": float(np.std(samples)),
            "n_trajectories": len(trajectories), "pooled_ps": float(len(trajectories) * (n_frames - 1) * sample_interval_ps)}


def combine(values_cm2_s: list[float], errors_cm2_s: list[float]) -> dict:
    """Inverse-variance mean of independent estimates, with the scatter between them.

    ``D_err_cm2_s`` is the larger of the propagated error and the standard error from the
    scatter, so disagreeing runs widen the error bar instead of being averaged away.
    """
    d = np.asarray(values_cm2_s, dtype=float)
    e = np.asarray(errors_cm2_s, dtype=float)
    w = 1.0 / e**2
    mean = float(np.sum(w * d) / np.sum(w))
    propagated = float(np.sqrt(1.0 / np.sum(w)))
    scatter = float(np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
    chi2_red = float(np.sum(w * (d - mean) ** 2) / (len(d) - 1)) if len(d) > 1 else float("nan")
    return {"D_cm2_s": mean, "D_err_cm2_s": max(propagated, scatter), "propagated_err_cm2_s": propagated,
            "scatter_err_cm2_s": scatter, "chi2_red": chi2_red, "n_runs": int(len(d))}
