"""Accuracy against speed for candidate MACE architectures trained on the same split with the same budget.

Accuracy is each run's test-set error (from its ``evaluation.json``); speed is measured here as MD
steps per CPU-second of the run's final model on one thread (float32, 83 atoms) — CPU time, not
wall time, so the number is fair on a busy machine — and converted to ns/day per core at the
production timestep. Errors in meV/Å and meV/atom.

Speed is a measurement of a machine, not a result of the study: each model's timing is kept in
``derived/measurements/md_speed.json`` with its date and machine and reused, so rerunning the
analysis does not re-time anything. Only a model without a timing is timed (or all of them with
``remeasure``; Make: ``make architecture REMEASURE=1``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import bench, paths, runs


def collect(run_dirs: list[Path]) -> pd.DataFrame:
    """One row per training run: architecture settings and test errors. A missing run is an error."""
    rows = []
    for run in map(Path, run_dirs):
        path = run / "evaluation.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: not found; train this candidate first (make architecture)")
        e = runs.read_json(path)
        h = e["hyperparameters"]
        rows.append({"run_name": e["run_name"], "architecture": e["architecture"],
                     "num_channels": h["num_channels"], "max_L": h["max_L"], "r_max_A": h["r_max_A"],
                     "max_ell": h["max_ell"], "max_epochs": h["max_epochs"], "n_train": e["n_train"],
                     "train_wall_time_s": e["train_wall_time_s"],
                     "test_force_rmse_meV_per_A": e["test_force_rmse_meV_per_A"],
                     "test_energy_rmse_meV_per_atom": e["test_energy_rmse_meV_per_atom"],
                     "model_path": e["model_path"]})
    return pd.DataFrame(rows)


def speed_file() -> Path:
    return paths.derived_dir() / "measurements" / "md_speed.json"


def measure_speed(table: pd.DataFrame, atoms, steps: int = 40, repeats: int = 3,
                  timestep_fs: float = 2.0, remeasure: bool = False) -> pd.DataFrame:
    """Add MD ``steps_per_cpu_s`` and ``ns_per_day_per_core`` (float32, one thread) for every model, from the
    kept measurements (``speed_file``); models without one (all with ``remeasure``) are timed now and kept."""
    out = table.copy()
    kept = runs.read_json(speed_file()) if speed_file().exists() else {"models": {}}
    for run_name, model_path in zip(table["run_name"], table["model_path"]):
        if remeasure or run_name not in kept["models"]:
            speed = bench.md_steps_per_s(paths.ROOT / model_path, atoms, "float32", 1, steps=steps,
                                         repeats=repeats, timestep_fs=timestep_fs)
            kept["models"][run_name] = {"steps_per_cpu_s": speed["steps_per_cpu_s"], "steps": steps,
                                        "repeats": repeats, "measured": runs.now_iso(), "cpu": bench.cpu_model(),
                                        "machine": runs.provenance()["machine"]}
            runs.write_json(speed_file(), kept)
    speeds = [kept["models"][name]["steps_per_cpu_s"] for name in table["run_name"]]
    out["measured"] = [kept["models"][name]["measured"] for name in table["run_name"]]
    out["steps_per_cpu_s"] = speeds
    out["ns_per_day_per_core"] = [bench.ns_per_day(s, timestep_fs) for s in speeds]
    return out


def pareto(table: pd.DataFrame) -> pd.Series:
    """True for runs no other run beats in both force error (lower) and speed (higher)."""
    err, speed = table["test_force_rmse_meV_per_A"], table["ns_per_day_per_core"]
    return pd.Series([not ((err <= e) & (speed >= s) & ((err < e) | (speed > s))).any()
                      for e, s in zip(err, speed)], index=table.index)
