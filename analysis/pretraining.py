"""Synthetic pre-training measured against training from scratch, and the decision it feeds.

For each candidate of the plan (``plan.pretraining_runs``): the from-scratch run on the 160 DFT
frames (the architecture comparison's budget, or the production model's for a production-budget
candidate), the run pre-trained on the teacher-labelled synthetic set, and that run fine-tuned on
the same 160 frames with the same budget. Stability is measured by plain NVT
screens of the fine-tuned model (``screen-<run>-T<T>-seed<s>-<ps>ps``, no core repulsion): time to
first failure, and the fraction of frames with a broken PS4 unit (``structure``). Errors in meV/Å and
meV/atom, times in ps, speed in ns/day per core (kept measurements, ``architecture.speed_file``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import committee, run_files, runs, stability, structure
from analysis.model import file_sha256

# the decision rule, fixed before the results (issue: synthetic pre-training)
RMSE_LIMIT_MEV_A = 32.0
STABLE_UP_TO_K = 600.0


def _evaluation(run: Path) -> dict:
    path = Path(run) / "evaluation.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (make pretrain)")
    return runs.read_json(path)


def screens(runs_root: Path, run_names: list[str]) -> pd.DataFrame:
    """The finished plain screens among ``run_names`` (the plan's): one row per run, with the broken-PS4
    fraction of its frames. Runs not finished yet are left out."""
    finished = [n for n in run_names if runs.summary_path(Path(runs_root) / n).exists()]
    df = pd.concat([stability.collect(runs_root, n) for n in finished], ignore_index=True) if finished else pd.DataFrame()
    if df.empty:
        return df
    df = df[df["run_name"].isin(finished)].reset_index(drop=True)  # the prefix glob may find longer names
    fractions = []
    for name in df["run_name"]:
        try:
            frames, _ = run_files.read_positions(Path(runs_root) / name)
            fractions.append(float(np.mean(structure.undercoordinated(frames) > 0)))
        except (FileNotFoundError, ValueError):
            fractions.append(None)  # stopped before its first frame
    return df.assign(broken_PS4_fraction=fractions)


def scratch_screens(runs_root: Path, candidate: dict) -> pd.DataFrame:
    """The finished plain (no core repulsion) stability screens of a candidate's from-scratch model, as the plan
    declares them (``candidate["scratch_screens"]``, ``plan.pretraining_runs``)."""
    return screens(runs_root, candidate["scratch_screens"])


def compare(runs_root: Path, candidates: list[dict], speeds: dict[str, float]) -> pd.DataFrame:
    """One row per candidate (``plan.pretraining_runs``) and kind (scratch, pretrained only, fine-tuned): test
    errors, screens, speed. A candidate without a from-scratch twin has no scratch row.

    ``speeds``: measured MD ns/day per core by architecture (a fine-tuned model runs at its architecture's speed)."""
    rows = []
    for c in candidates:
        kinds = [("scratch", c["scratch"])] if c["scratch"] else []
        for kind, name in kinds + [("pretrained only", c["pretrain"]), ("fine-tuned", c["finetune"])]:
            e = _evaluation(Path(runs_root) / name)
            row = {"candidate": c["candidate"], "architecture": c["architecture"], "kind": kind, "run_name": name,
                   "test_force_rmse_meV_per_A": e["test_force_rmse_meV_per_A"],
                   "test_energy_rmse_meV_per_atom": e["test_energy_rmse_meV_per_atom"],
                   "train_wall_time_s": e["train_wall_time_s"],
                   "ns_per_day_per_core": speeds.get(c["architecture"])}
            if kind == "fine-tuned":
                row.update(_screen_summary(screens(runs_root, c["screens"])))
            elif kind == "scratch":  # the earlier plain screens of the from-scratch model (stability screen)
                row.update(_screen_summary(scratch_screens(runs_root, c)))
            rows.append(row)
    return pd.DataFrame(rows)


def _screen_summary(s: pd.DataFrame) -> dict:
    if s.empty:
        return {"n_screens": 0}
    out = {"n_screens": len(s), "n_failed": int(s["failed"].sum())}
    for T, g in s.groupby("temperature_K"):
        ttf = g.loc[g["failed"], "time_to_failure_ps"]
        out[f"failed_{T:g}K"] = f"{int(g['failed'].sum())}/{len(g)}"
        out[f"min_ttf_{T:g}K_ps"] = float(ttf.min()) if len(ttf) else None
        out[f"broken_PS4_{T:g}K"] = float(np.nanmax(g["broken_PS4_fraction"].astype(float)))
    return out


def decide(table: pd.DataFrame, screens_by_run: dict[str, pd.DataFrame], production: dict,
           rmse_limit: float = RMSE_LIMIT_MEV_A, stable_up_to_K: float = STABLE_UP_TO_K) -> dict:
    """Apply the rule: adopt a fine-tuned model if its test force RMSE is ≤ ``rmse_limit`` and its screens at
    ≤ ``stable_up_to_K`` show no failure and no broken PS4 unit; the fastest of those. Otherwise keep
    ``production`` (``{"run_name", "test_force_rmse_meV_per_A"}``). Every candidate's verdict is returned."""
    verdicts = []
    for r in table[table["kind"] == "fine-tuned"].itertuples():
        s = screens_by_run.get(r.run_name, pd.DataFrame())
        cold = s[s["temperature_K"] <= stable_up_to_K] if not s.empty else s
        reasons = []
        if r.test_force_rmse_meV_per_A > rmse_limit:
            reasons.append(f"test force RMSE {r.test_force_rmse_meV_per_A:.1f} > {rmse_limit:g} meV/Å")
        if cold.empty:
            reasons.append(f"no screens at ≤ {stable_up_to_K:g} K")
        else:
            if cold["failed"].any():
                reasons.append(f"{int(cold['failed'].sum())} of {len(cold)} screens at ≤ {stable_up_to_K:g} K failed")
            if (cold["broken_PS4_fraction"].astype(float).fillna(1.0) > 0).any():
                reasons.append(f"broken PS4 units in screens at ≤ {stable_up_to_K:g} K")
        verdicts.append({"run_name": r.run_name, "candidate": getattr(r, "candidate", r.architecture),
                         "architecture": r.architecture, "passes": not reasons,
                         "reasons": reasons, "ns_per_day_per_core": r.ns_per_day_per_core,
                         "test_force_rmse_meV_per_A": r.test_force_rmse_meV_per_A})
    passing = [v for v in verdicts if v["passes"]]
    # the fastest; between equally fast ones (one architecture, two budgets) the more accurate
    chosen = max(passing, key=lambda v: (v["ns_per_day_per_core"] or 0.0, -v["test_force_rmse_meV_per_A"])) if passing else None
    return {"rule": f"adopt a fine-tuned model with test force RMSE ≤ {rmse_limit:g} meV/Å whose plain screens at "
                    f"≤ {stable_up_to_K:g} K show no failure and no broken PS4 unit; the fastest of those; "
                    "otherwise keep the production model",
            "verdicts": verdicts, "adopted": chosen["run_name"] if chosen else None,
            "production_model": chosen["run_name"] if chosen else production["run_name"],
            "kept_production": chosen is None}


def committee_on_screens(runs_root: Path, screen_runs: list[str], group: str, limit_eV_A: float,
                         every_ps: float = 1.0) -> list[dict]:
    """The committee of notebook 5 along the screens of the fine-tuned models: per run its largest force
    disagreement σ (eV/Å) and whether it exceeded the trained-region limit ``limit_eV_A`` (``committee.json``),
    the same measure as for the production runs. Runs stopped before their first saved frame are skipped; the
    values are kept per run (``committee_sigma.json``) like the production runs'."""
    members = committee.members(runs_root, group)
    used = []
    for name in screen_runs:
        run = Path(runs_root) / name
        if (run / run_files.POSITIONS_FILE).exists():
            used.append({**runs.read_json(run / "summary.json"), "run_dir": str(run)})
    if not used:
        return []
    along = committee.along_runs(committee.calculators(members), used, every_ps, [file_sha256(p) for p in members])
    return committee.per_run(along, limit_eV_A)
