"""Extrapolation monitor: force disagreement of a committee of independently trained models.

Where the models agree, the configuration resembles the training data; where they disagree the
model extrapolates. Forces in eV/Å.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase import Atoms

from analysis.model import load_calculator


def force_disagreement(model_paths: list[Path], frames: list[Atoms], dtype: str = "float32") -> np.ndarray:
    """Per frame: the largest per-atom committee standard deviation of the force vector (eV/Å).

    σ_i = sqrt(mean_m |F_i^m − mean_m F_i^m|²) over models m; the frame value is max_i σ_i.
    """
    if len(model_paths) < 2:
        raise ValueError("a committee needs at least 2 models")
    forces = []
    for path in model_paths:
        calc = load_calculator(path, dtype)
        per_model = []
        for atoms in frames:
            probe = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)
            probe.calc = calc
            per_model.append(probe.get_forces())
        forces.append(per_model)
    forces = np.asarray(forces)  # (models, frames, atoms, 3)
    deviation = forces - forces.mean(axis=0, keepdims=True)
    per_atom = np.sqrt(np.mean(np.sum(deviation**2, axis=-1), axis=0))  # (frames, atoms)
    return per_atom.max(axis=1)


def along_runs(model_paths: list[Path], used_runs: list[dict], every_ps: float = 1.0) -> list[dict]:
    """Committee disagreement (eV/Å) every ``every_ps`` along each finished MD run's positions.npz."""
    from analysis import md

    rows = []
    for summary in used_runs:
        frames, interval_fs = md.read_positions(Path(summary["run_dir"]))
        stride = max(1, round(every_ps * 1000 / interval_fs))
        picked = frames[::stride]
        sigma = force_disagreement(model_paths, picked)
        for k, value in enumerate(sigma):
            rows.append({"run_name": summary["run_name"], "temperature_K": summary["settings"]["temperature_K"],
                         "time_ps": k * stride * interval_fs / 1000, "sigma_max_eV_A": float(value)})
    return rows
