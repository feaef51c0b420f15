"""Extrapolation monitor: force disagreement of a committee of independently trained models.

Where the models agree, the configuration resembles the training data; where they disagree the
model extrapolates. Forces in eV/Å.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase import Atoms

from analysis.model import load_calculator


def calculators(model_paths: list[Path], dtype: str = "float32") -> list:
    """One loaded MACE calculator per committee member (at least 2)."""
    if len(model_paths) < 2:
        raise ValueError("a committee needs at least 2 models")
    return [load_calculator(path, dtype) for path in model_paths]


def sigma_max(calcs: list, atoms: Atoms) -> float:
    """The largest per-atom committee standard deviation of the force vector (eV/Å) in one frame.

    σ_i = sqrt(mean_m |F_i^m − mean_m F_i^m|²) over models m; the frame value is max_i σ_i.
    """
    forces = []
    for calc in calcs:
        probe = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)
        probe.calc = calc
        forces.append(probe.get_forces())
    forces = np.asarray(forces)  # (models, atoms, 3)
    deviation = forces - forces.mean(axis=0, keepdims=True)
    return float(np.sqrt(np.mean(np.sum(deviation**2, axis=-1), axis=0)).max())


def force_disagreement(calcs: list, frames: list[Atoms]) -> np.ndarray:
    """Per frame: ``sigma_max`` of the committee ``calcs`` (see ``calculators``; eV/Å)."""
    return np.array([sigma_max(calcs, atoms) for atoms in frames])


def members(runs_root: Path, group: str) -> list[Path]:
    """The committee: the final models of a training group's runs on the largest training set."""
    from analysis import learning_curve, paths, runs

    table = learning_curve.collect(runs_root, group)
    if table.empty:
        raise ValueError(f"{runs_root}: no training runs of group '{group}' for the committee")
    largest = table[table["n_train"] == table["n_train"].max()]
    return [paths.ROOT / runs.read_json(Path(runs_root) / name / "evaluation.json")["model_path"]
            for name in largest["run_name"]]


def along_runs(calcs: list, used_runs: list[dict], every_ps: float = 1.0) -> list[dict]:
    """Committee disagreement (eV/Å) every ``every_ps`` along each finished MD run's positions.npz,
    with the number of P atoms that have lost an S neighbour (``structure.undercoordinated``)."""
    from analysis import md, structure

    rows = []
    for summary in used_runs:
        frames, interval_fs = md.read_positions(Path(summary["run_dir"]))
        stride = max(1, round(every_ps * 1000 / interval_fs))
        picked = frames[::stride]
        sigma = force_disagreement(calcs, picked)
        broken = structure.undercoordinated(picked)
        for k, value in enumerate(sigma):
            rows.append({"run_name": summary["run_name"], "temperature_K": summary["settings"]["temperature_K"],
                         "time_ps": k * stride * interval_fs / 1000, "sigma_max_eV_A": float(value),
                         "n_P_undercoordinated": int(broken[k])})
    return rows


def per_run(along: list[dict], limit_eV_A: float) -> list[dict]:
    """Per run: largest disagreement, first time above ``limit_eV_A`` (None if never: the run stayed in
    the trained region), and the fraction of sampled frames with a broken P–S bond."""
    out = []
    for name in dict.fromkeys(r["run_name"] for r in along):
        rows = [r for r in along if r["run_name"] == name]
        above = [r["time_ps"] for r in rows if not r["sigma_max_eV_A"] <= limit_eV_A]  # NaN counts as above
        out.append({"run_name": name, "temperature_K": rows[0]["temperature_K"],
                    "sigma_max_eV_A": float(np.nanmax([r["sigma_max_eV_A"] for r in rows])),
                    "first_above_limit_ps": above[0] if above else None,
                    "left_trained_region": bool(above),
                    "fraction_frames_P_S_broken": float(np.mean([r["n_P_undercoordinated"] > 0 for r in rows]))})
    return out
