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
