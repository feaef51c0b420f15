"""Extrapolation monitor: force disagreement of a committee of independently trained models.

Where the models agree, the configuration resembles the training data; where they disagree the
model extrapolates. Forces in eV/Å.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from ase import Atoms

from analysis import data, learning_curve, paths, run_files, runs, structure
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
    table = learning_curve.collect(runs_root, group)
    if table.empty:
        raise ValueError(f"{runs_root}: no training runs of group '{group}' for the committee")
    largest = table[table["n_train"] == table["n_train"].max()]
    return [paths.ROOT / runs.read_json(Path(runs_root) / name / "evaluation.json")["model_path"]
            for name in largest["run_name"]]


CACHE_FILE = "committee_sigma.json"
LAST_PS_CACHE_FILE = "committee_last_ps.json"


def kept_disagreement(calcs: list, frames: list[Atoms], member_sha256: list[str], cache: Path) -> np.ndarray:
    """``force_disagreement`` of ``frames``, kept in ``cache`` (JSON, committed) while the committee
    (``member_sha256``) and the configurations are the same, so that a rerun on another CPU reuses it."""
    key = {"members_sha256": member_sha256, "frames_sha256": data.frames_sha256(frames)}
    values = runs.kept_or_computed(cache, key, lambda: {
        "sigma_max_eV_A": [float(v) for v in force_disagreement(calcs, frames)]})
    return np.array(values["sigma_max_eV_A"], dtype=float)


def along_runs(calcs: list, used_runs: list[dict], every_ps: float = 1.0,
               member_sha256: list[str] | None = None) -> list[dict]:
    """Committee disagreement (eV/Å) every ``every_ps`` along each finished MD run's kept positions,
    with the number of P atoms that have lost an S neighbour (``structure.undercoordinated``).

    With ``member_sha256`` (the committee's model hashes) each run's values are kept in its folder
    (``committee_sigma.json``, committed) and reused while committee, spacing and positions are the same:
    rerunning notebook 5 then costs seconds instead of ~1 min per run. A progress line per run."""
    rows = []
    for n, summary in enumerate(used_runs, 1):
        run = Path(summary["run_dir"])
        key = {"members_sha256": member_sha256, "every_ps": every_ps,
               "positions_sha256": run_files.positions_sha256(run, summary)}
        started, kept = time.time(), bool(member_sha256) and runs.is_kept(run / CACHE_FILE, key)

        def compute(run=run, summary=summary) -> dict:
            frames, interval_fs = run_files.read_positions(run, summary)
            stride = max(1, round(every_ps * 1000 / interval_fs))
            picked = frames[::stride]
            return {"time_ps": [k * stride * interval_fs / 1000 for k in range(len(picked))],
                    "sigma_max_eV_A": [float(v) for v in force_disagreement(calcs, picked)],
                    "n_P_undercoordinated": [int(b) for b in structure.undercoordinated(picked)]}

        values = runs.kept_or_computed(run / CACHE_FILE, key, compute) if member_sha256 else compute()
        sigma, broken, times = values["sigma_max_eV_A"], values["n_P_undercoordinated"], values["time_ps"]
        how = "kept" if kept else f"computed in {time.time() - started:.0f} s"
        print(f"committee: {n}/{len(used_runs)} {summary['run_name']} ({how})", flush=True)
        for t, value, b in zip(times, sigma, broken):
            rows.append({"run_name": summary["run_name"], "temperature_K": summary["settings"]["temperature_K"],
                         "time_ps": t, "sigma_max_eV_A": value, "n_P_undercoordinated": b})
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


def before_failure(judges: list, stopped: list[dict], last_ps: float = 2.0,
                   member_sha256: list[str] | None = None) -> list[dict]:
    """The committee over the last ``last_ps`` of production of each run the distance monitor stopped
    (``stopped``: exclusion records with a ``failure``): largest and median σ (eV/Å). With ``member_sha256``
    the values are kept in the run's folder (``committee_last_ps.json``). A run stopped before its first production
    frame (in equilibration, where no positions are kept) has no such frames and is left out here; the events table
    (``stability.production_events``) lists it."""
    out = []
    for e in stopped:
        run = paths.run_dir(e["run_name"])
        try:
            frames, interval_fs = run_files.read_positions(run)
        except FileNotFoundError:  # stopped before its first production frame
            continue
        last = frames[-max(1, int(round(last_ps * 1000 / interval_fs))):]
        sigma = (kept_disagreement(judges, last, member_sha256, run / LAST_PS_CACHE_FILE) if member_sha256
                 else force_disagreement(judges, last))
        out.append({"run_name": e["run_name"], "temperature_K": e["temperature_K"],
                    "failure": e["failure"]["reason"], "failure_time_ps": e["failure"]["time_ps"],
                    "failure_when": run_files.failure_when(e["failure"], e.get("equilibration_ps") or 0.0),
                    "sigma_last_2ps_max_eV_A": float(sigma.max()), "sigma_last_2ps_median_eV_A": float(np.median(sigma))})
    return out


def per_temperature(along: list[dict], reference_eV_A: float) -> list[dict]:
    """Per MD temperature: median, 95th percentile and largest σ along the runs (eV/Å), and the fraction of
    sampled frames above the test set's 95th percentile ``reference_eV_A``."""
    out = []
    for T in sorted({r["temperature_K"] for r in along}):
        sigma = np.array([r["sigma_max_eV_A"] for r in along if r["temperature_K"] == T])
        out.append({"temperature_K": T, "median": float(np.median(sigma)), "p95": float(np.percentile(sigma, 95)),
                    "max": float(sigma.max()), "fraction_above_test_p95": float(np.mean(sigma > reference_eV_A))})
    return out


EVENT_NAMES = {"stopped": "stopped by the distance monitor", "committee": "committee limit exceeded",
               "PS4_break": "first broken PS4 unit"}


def events_text(events) -> str:
    """Each production run with an event (``stability.production_events``): which came first and when (ps of
    production)."""
    hit = events[events["first_event"].notna()]

    def when(r) -> str:
        return "in equilibration" if r.first_event == "stopped" and r.stopped_in_equilibration else f"at {r.first_event_ps:g} ps"

    return "; ".join(f"{r.run_name}: {EVENT_NAMES[r.first_event]} {when(r)}" for r in hit.itertuples()) or "none"


def no_event_text(events) -> str:
    """The runs with no event, and how many reached their full length by the short screens' failure rule."""
    clean = events[events["first_event"].isna()]
    return (f"{len(clean)} of {len(events)} ({', '.join(clean['run_name'])}); by the failure rule of the short "
            f"stability runs (distance, temperature, NaN) {int(events['stopped_ps'].isna().sum())} of {len(events)} "
            "reached their full length")
