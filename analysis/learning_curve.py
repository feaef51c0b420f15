"""Learning curves: test error against training-set size, and the power-law slope.

Errors in meV/atom (energy) and meV/Å (forces).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import runs

COLUMNS = ("test_energy_rmse_meV_per_atom", "test_force_rmse_meV_per_A")


def collect(runs_root: Path, group: str | None = "learning_curve", names: list[str] | None = None) -> pd.DataFrame:
    """One row per finished training run of ``group``, or of the runs ``names`` (from each evaluation.json)."""
    rows = []
    paths = ([Path(runs_root) / n / "evaluation.json" for n in names] if names is not None
             else sorted(Path(runs_root).glob("train-*/evaluation.json")))
    for path in paths:
        if not path.exists():
            continue
        record = runs.read_json(path)
        if names is not None or record.get("group") == group:
            rows.append({"run_name": record["run_name"], "architecture": record["architecture"],
                         "n_train": record["n_train"], "seed": record["seed"],
                         "max_epochs": record["hyperparameters"]["max_epochs"],
                         **{c: record[c] for c in COLUMNS}})
    return pd.DataFrame(rows, columns=["run_name", "architecture", "n_train", "seed", "max_epochs", *COLUMNS])


def fit_slope(n_train, error) -> dict:
    """Least-squares fit of log(error) = intercept + slope * log(n); slope error from the fit."""
    x = np.log(np.asarray(n_train, dtype=float))
    y = np.log(np.asarray(error, dtype=float))
    if len(np.unique(x)) < 2:
        raise ValueError("a learning-curve slope needs at least two training-set sizes")
    coeffs, cov = np.polyfit(x, y, 1, cov="unscaled" if len(x) < 4 else True)
    return {"slope": float(coeffs[0]), "slope_err": float(np.sqrt(cov[0, 0])), "intercept": float(coeffs[1])}
