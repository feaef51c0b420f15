"""Our own evaluation of a saved MACE model on held-out DFT configurations.

Units: energies reported per atom in meV/atom, forces in meV/Å.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase import Atoms

from analysis import data
from analysis.model import load_calculator


def predict(model_path: Path, frames: list[Atoms], dtype: str = "float64") -> dict:
    """Model and reference energies (eV/cell) and forces (eV/Å) for each frame."""
    calc = load_calculator(model_path, dtype)
    e_model, e_ref, f_model, f_ref = [], [], [], []
    for atoms in frames:
        probe = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)
        probe.calc = calc
        e_model.append(probe.get_potential_energy())
        f_model.append(probe.get_forces())
        e_ref.append(float(atoms.info[data.ENERGY_KEY]))
        f_ref.append(np.asarray(atoms.arrays[data.FORCES_KEY]))
    return {
        "energy_model_eV": np.array(e_model),
        "energy_ref_eV": np.array(e_ref),
        "forces_model_eV_A": np.array(f_model),
        "forces_ref_eV_A": np.array(f_ref),
        "symbols": np.array(frames[0].get_chemical_symbols()),
        "n_atoms": len(frames[0]),
    }


def errors(pred: dict, train_energy_per_atom_eV: float | None = None) -> dict:
    """RMSE/MAE of energies (meV/atom) and force components (meV/Å), per element too.

    ``baseline_energy_rmse_meV_per_atom``: the error of a constant predictor (the training-set
    mean energy, or the test mean when not given) — the spread the model has to beat.
    """
    n = pred["n_atoms"]
    de = (pred["energy_model_eV"] - pred["energy_ref_eV"]) / n * 1000.0
    df = (pred["forces_model_eV_A"] - pred["forces_ref_eV_A"]) * 1000.0
    ref_per_atom = pred["energy_ref_eV"] / n
    constant = train_energy_per_atom_eV if train_energy_per_atom_eV is not None else ref_per_atom.mean()
    result = {
        "test_energy_rmse_meV_per_atom": float(np.sqrt(np.mean(de**2))),
        "test_energy_mae_meV_per_atom": float(np.mean(np.abs(de))),
        "test_force_rmse_meV_per_A": float(np.sqrt(np.mean(df**2))),
        "test_force_mae_meV_per_A": float(np.mean(np.abs(df))),
        "baseline_energy_rmse_meV_per_atom": float(np.sqrt(np.mean((ref_per_atom - constant) ** 2)) * 1000),
        "baseline_force_rmse_meV_per_A": float(np.sqrt(np.mean(pred["forces_ref_eV_A"] ** 2)) * 1000),
        "n_test": int(len(de)),
    }
    for element in sorted(set(pred["symbols"])):
        mask = pred["symbols"] == element
        result[f"test_force_rmse_{element}_meV_per_A"] = float(np.sqrt(np.mean(df[:, mask] ** 2)))
    return result


def evaluate(model_path: Path, test_frames: list[Atoms], train_frames: list[Atoms] | None = None) -> tuple[dict, dict]:
    """Predictions and error metrics of ``model_path`` on ``test_frames``."""
    pred = predict(model_path, test_frames)
    mean_train = None
    if train_frames:
        mean_train = float(np.mean([a.info[data.ENERGY_KEY] / len(a) for a in train_frames]))
    return pred, errors(pred, mean_train)
