"""MD stability as a model-selection criterion: time to first failure per model and temperature.

A stability run is an ordinary MD run (``study/04_md.py``) named ``stab-<training run>-T<T>-seed<s>``
with no equilibration. A run that reaches its full length is right-censored: its time to failure
is only known to exceed the run length. Times in ps, distances in Å, forces in eV/Å.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import md, run_files, runs, structure
from analysis.model import file_sha256


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
            **run_files.core_repulsion_activity(run_files.read_thermo(path.parent / "thermo.csv")),
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


def production_events(runs_root: Path, model_sha256: str, committee_runs: list[dict],
                      run_names: list[str] | None = None) -> pd.DataFrame:
    """Per production MD run (``md-*``, finished or stopped) of the model ``model_sha256``: the first time
    (ps of production) of each way of leaving the trained region, ``None`` if it never happened.

    ``stopped_ps``: the distance/temperature/NaN monitor stopped the run (the failure of the stability runs);
    ``stopped_in_equilibration``: it stopped before production began (``stopped_ps`` is then 0);
    ``committee_ps``: the committee disagreement first exceeded its limit (``committee.per_run``);
    ``PS4_break_ps``: first sampled frame with a P that has fewer than four S within the P–S bond cutoff
    (never in the DFT data; ``structure``); ``broken_PS4_fraction``: the fraction of such frames;
    ``intact_window``: ``[start, stop)`` of the longest stretch of frames without one (the scan the diffusion
    analysis reuses, ``temperature_series.restrict_to_intact``).
    A run with no event is right-censored at ``reached_ps``. ``run_names``: the plan's MD runs (None: every
    ``md-*`` run on disk).
    """
    verdict = {r["run_name"]: r for r in committee_runs}
    rows = []
    names = run_names if run_names is not None else sorted(p.parent.name for p in Path(runs_root).glob("md-*/summary*.json"))
    pieces = (runs.piece_summary_path(Path(runs_root) / name) for name in dict.fromkeys(names))
    for path in (p for p in pieces if p is not None):  # a run being extended: its last finished piece
        s = runs.read_json(path)
        if s.get("status") not in ("done", "unstable") or s.get("model_sha256") != model_sha256:
            continue
        settings, failure = s["settings"], s.get("failure")
        stopped = None
        if failure:
            stopped = run_files.production_time_ps(failure, settings["equilibration_ps"])
        try:
            frames, interval_fs = run_files.read_positions(path.parent, s)
        except (FileNotFoundError, ValueError):
            if not failure:
                raise
            frames, interval_fs = [], 1.0  # stopped before its first production frame
        undercoordinated = structure.undercoordinated(frames) if frames else np.zeros(0, dtype=int)
        broken = np.flatnonzero(undercoordinated > 0)
        c = verdict.get(s["run_name"], {})
        events = {"stopped_ps": stopped,
                  "committee_ps": c.get("first_above_limit_ps") if c.get("left_trained_region") else None,
                  "PS4_break_ps": round(float(broken[0] * interval_fs / 1000.0), 3) if broken.size else None}
        happened = {k: v for k, v in events.items() if v is not None}
        first = min(happened, key=happened.get) if happened else None
        rows.append({"run_name": s["run_name"], "temperature_K": settings["temperature_K"], "seed": settings["seed"],
                     "planned_ps": float(settings["production_ps"]),
                     "reached_ps": stopped if stopped is not None else float(settings["production_ps"]),
                     "stop_reason": failure["reason"] if failure else None, "committee_checked": bool(c), **events,
                     "stopped_in_equilibration": run_files.stopped_in_equilibration(failure, settings["equilibration_ps"]),
                     "broken_PS4_fraction": float(np.mean(undercoordinated > 0)) if frames else None,
                     "intact_window": [int(i) for i in structure.longest_intact_window(undercoordinated)] if frames else None,
                     "positions_interval_fs": float(interval_fs) if frames else None,
                     "first_event": first[:-3] if first else None,
                     "first_event_ps": happened[first] if first else None})
    return pd.DataFrame(rows)


def production_event_table(events: pd.DataFrame) -> pd.DataFrame:
    """Per temperature: runs, how many had each event, runs with none, and the earliest event (ps)."""
    out = []
    for T, g in events.groupby("temperature_K"):
        out.append({"temperature_K": T, "n_runs": len(g),
                    **{f"n_{k}": int(g[f"{k}_ps"].notna().sum()) for k in ("stopped", "committee", "PS4_break")},
                    "n_without_event": int(g["first_event"].isna().sum()),
                    "earliest_event_ps": float(g["first_event_ps"].min()) if g["first_event_ps"].notna().any() else None,
                    "production_ps_total": float(g["reached_ps"].sum())})
    return pd.DataFrame(out)


def test_errors(runs_root: Path, models) -> dict[str, dict]:
    """Test force (meV/Å) and energy (meV/atom) RMSE of each candidate training run that has an evaluation."""
    out = {}
    for model in models:
        evaluation = Path(runs_root) / model / "evaluation.json"
        if evaluation.exists():
            e = runs.read_json(evaluation)
            out[model] = {k: e[k] for k in ("test_force_rmse_meV_per_A", "test_energy_rmse_meV_per_atom")}
    return out


def choose(summary: pd.DataFrame, errors: dict[str, dict]) -> dict | None:
    """The production candidate: among the (model, core repulsion) pairs with no failed run at any screened
    temperature, the one with the lowest test force RMSE; None when no candidate survived every run."""
    by_candidate = summary.groupby(["model", "core_repulsion"]).agg(n_failed=("n_failed", "sum"),
                                                                    T_max=("temperature_K", "max")).reset_index()
    stable = by_candidate[by_candidate["n_failed"] == 0].copy()
    if stable.empty:
        return None
    stable["rmse"] = [errors.get(m, {}).get("test_force_rmse_meV_per_A", float("inf")) for m in stable["model"]]
    best = stable.sort_values("rmse").iloc[0]
    return {"model": best["model"], "core_repulsion": bool(best["core_repulsion"]), "T_max": float(best["T_max"]),
            "test_force_rmse_meV_per_A": float(best["rmse"])}


def nve_checks(models, start, timesteps_fs, duration_ps: float, temperature_K: float, runs_root: Path,
               previous: list[dict]) -> list[dict]:
    """NVE energy drift of every candidate at every timestep (``md.nve_energy_drift``). The checks are seeded, so
    a record of an earlier run for the same model file and settings (``previous``) is reused."""
    done = {(r.get("model_sha256"), r["timestep_fs"], r["duration_ps"], r.get("temperature_K")): r for r in previous}
    out = []
    for model in models:
        model_file = Path(runs_root) / model / "mace_stagetwo.model"
        sha = file_sha256(model_file)
        for dt in timesteps_fs:
            record = done.get((sha, dt, duration_ps, temperature_K)) or {
                **md.nve_energy_drift(model_file, start, dt, duration_ps, temperature_K), "model_sha256": sha}
            out.append({**record, "model": model})
    return out


def window_sentence(failed_T: float, top_T: float | None) -> str:
    """What the production failures say about the temperature window (K), against the top of the fit (``top_T``)."""
    if top_T is None:
        return (f"So the distance monitor alone would allow production up to just below {failed_T:g} K; broken PS₄ "
                "units and the committee limit (notebooks 5 and 6) may end the analysed window lower.")
    if top_T < failed_T:
        return (f"So the distance monitor alone would allow production up to just below {failed_T:g} K; broken PS₄ "
                f"units and the committee limit (notebooks 5 and 6) end the analysed window lower, at {top_T:g} K.")
    return (f"So a run can fail from {failed_T:g} K on, and the distance monitor stays on at every temperature; the "
            f"other runs up to {top_T:g} K ran through, and broken PS₄ units and the committee limit (notebooks 5 "
            f"and 6) end the analysed window there.")
