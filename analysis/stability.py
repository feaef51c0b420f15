"""MD stability as a model-selection criterion: time to first failure per model and temperature.

A stability run is an ordinary MD run (``study/04_md.py``) named ``stab-<training run>-T<T>-seed<s>``
with no equilibration. A run that reaches its full length is right-censored: its time to failure
is only known to exceed the run length. Times in ps, distances in Å, forces in eV/Å.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import md, runs


def collect(runs_root: Path, prefix: str = "stab-") -> pd.DataFrame:
    """One row per finished stability run (status done or unstable)."""
    rows = []
    for path in sorted(Path(runs_root).glob(f"{prefix}*/summary.json")):
        s = runs.read_json(path)
        settings = s["settings"]
        failed = s["status"] == "unstable"
        rows.append({
            "run_name": s["run_name"], "model": Path(s["model_path"]).parent.name,
            "core_repulsion": bool(settings.get("core_repulsion_onset_A")),
            "temperature_K": settings["temperature_K"], "seed": settings["seed"],
            "length_ps": settings["equilibration_ps"] + settings["production_ps"],
            "failed": failed,
            "time_to_failure_ps": s["failure"]["time_ps"] if failed else None,
            "reason": s["failure"]["reason"] if failed else "",
            "max_force_eV_A": s.get("max_force_eV_A"),
            "ns_per_day": (s["steps_per_s"] or 0) * settings["timestep_fs"] * 86400e-6,
            **{f"min_{pair}_A": d for pair, d in s["min_pair_distance_A"].items()},
            **md.core_repulsion_activity(md.read_thermo(path.parent / "thermo.csv")),
        })
    return pd.DataFrame(rows)


def table(df: pd.DataFrame) -> pd.DataFrame:
    """Per model and temperature: runs, failures, shortest and median time to failure."""
    out = []
    for (model, core, T), g in df.groupby(["model", "core_repulsion", "temperature_K"]):
        ttf = g.loc[g["failed"], "time_to_failure_ps"].astype(float)
        out.append({
            "model": model, "core_repulsion": bool(core), "temperature_K": T,
            "n_runs": len(g), "n_failed": int(g["failed"].sum()),
            "min_time_to_failure_ps": float(ttf.min()) if len(ttf) else None,
            "median_time_to_failure_ps": float(np.median(ttf)) if len(ttf) else None,
            "total_ps_survived": float(g.loc[~g["failed"], "length_ps"].sum()),
            "min_Li-Li_A": float(g["min_Li-Li_A"].min()), "min_Li-S_A": float(g["min_Li-S_A"].min()),
            "min_P-S_A": float(g["min_P-S_A"].min()), "min_S-S_A": float(g["min_S-S_A"].min()),
            "max_force_eV_A": float(g["max_force_eV_A"].max()),
            "ns_per_day": float(g["ns_per_day"].median()),
        })
    return pd.DataFrame(out)
