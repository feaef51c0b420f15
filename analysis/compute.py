"""What the MD has cost so far: simulated time and device time per run and per plan set, against the core-hours the
plan declared.

A run's record is its checkpoint (where it stands now, also mid-extension) or, for runs made before checkpoints were
kept, its summary. Wall time counts what the run's checkpoints hold: the work of a piece interrupted after its last
checkpoint, and each piece's start-up (model loading, compilation), is not in it. One MD process uses one CPU thread,
so a CPU wall-hour is a core-hour; a GPU lease runs several processes on the one GPU, so GPU hours are summed over
runs (device time per run, not lease time).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from analysis import md, plan, runs

CPU = "cpu"


def run_cost(run: Path) -> dict | None:
    """Simulated ps (equilibration + production), steps and wall seconds per device of one run folder; None when the
    run has not made a checkpoint or summary yet."""
    run = Path(run)
    record_path = next((p for p in (run / "checkpoint.json", runs.summary_path(run)) if p.exists()), None)
    if record_path is None or not (run / "settings.json").exists():
        return None
    record = runs.read_json(record_path)
    settings = md.load_settings(run)
    timestep_fs = settings.timestep_fs
    steps = record.get("step")
    if steps is None:  # a summary: the production it made after the equilibration
        steps = round((settings.equilibration_ps + record["production_ps"]) * 1000 / timestep_fs)
    return {"run_name": run.name, "simulated_ps": steps * timestep_fs / 1000.0,
            "steps_by_device": md.steps_per_device(record, steps),
            "wall_s_by_device": md.wall_by_device(record), "timestep_fs": timestep_fs}


def by_set(planned: list[dict], plan_sets: list[dict], runs_dir: Path) -> list[dict]:
    """Per plan set (``planned``: ``plan.md_runs`` entries, in plan order): runs started of those planned, simulated
    ps (on the CPU and on GPUs), CPU core-hours and GPU hours, the CPU's rate in ns/day per core, and the core-hours
    the set declared (``plan_sets``: ``plan.md_sets``; None where it declares none)."""
    declared = {s["set"]: s.get("core_hours") for s in plan_sets}
    sets: dict[str, dict] = {}
    for entry in planned:
        s = sets.setdefault(entry["set"], {"set": entry["set"], "role": entry["role"], "runs_planned": 0,
                                           "runs_started": 0, "simulated_ps": 0.0,
                                           "ps": defaultdict(float), "wall_s": defaultdict(float)})
        s["runs_planned"] += 1
        cost = run_cost(Path(runs_dir) / entry["run_name"])
        if cost is None:
            continue
        s["runs_started"] += 1
        s["simulated_ps"] += cost["simulated_ps"]
        for device, n in cost["steps_by_device"].items():
            s["ps"][device] += n * cost["timestep_fs"] / 1000.0
        for device, wall in cost["wall_s_by_device"].items():
            s["wall_s"][device] += wall
    out = []
    for s in sets.values():
        cpu_ps, cpu_s = s["ps"].get(CPU, 0.0), s["wall_s"].get(CPU, 0.0)
        gpu_s = sum(w for d, w in s["wall_s"].items() if d != CPU)
        out.append({"set": s["set"], "role": s["role"], "runs_planned": s["runs_planned"],
                    "runs_started": s["runs_started"], "simulated_ps": s["simulated_ps"],
                    "cpu_ps": cpu_ps, "gpu_ps": s["simulated_ps"] - cpu_ps,
                    "cpu_core_hours": cpu_s / 3600.0, "gpu_hours": gpu_s / 3600.0,
                    "cpu_ns_per_day_per_core": cpu_ps / 1000.0 / (cpu_s / 86400.0) if cpu_s > 0 else None,
                    "declared_core_hours": declared.get(s["set"])})
    return out


# ---------------------------------------------------------------------------------------------- what is left to make
A2_PS_PER_CM2_S = 1e4  # 1 cm²/s = 1e16 Å² / 1e12 ps


def length_needed_ps(D_cm2_s: float, min_msd_A2: float) -> float:
    """Production length (ps) at which the Li MSD at the end of the fit window (half the run) reaches ``min_msd_A2``
    for a diffusion coefficient ``D_cm2_s``: MSD = 6 D L/2. The vibrational plateau (about 1 Å²) is left out, so the
    estimate errs long."""
    return min_msd_A2 / (3.0 * D_cm2_s * A2_PS_PER_CM2_S)


def doubled_length_ps(next_ps: float, needed_ps: float, cap_ps: float) -> float:
    """The length a run doubled from ``next_ps`` (the piece it makes next) reaches once it is at least ``needed_ps``,
    at most ``cap_ps``."""
    length = next_ps
    while length < needed_ps and length < cap_ps:
        length *= 2.0
    return min(length, cap_ps)


def forecast(runs_left: list[dict], D_by_T: dict[float, float], min_msd_A2: float, equilibration_ps: float,
             ps_per_core_hour: float | None) -> list[dict]:
    """Per temperature, a rough estimate of the MD still to make before every run of a doubled (``cap_ps``) series
    passes the MSD part of the convergence rule or reaches its cap. ``runs_left``: one entry per run still in play
    (``run_name``, ``temperature_K``, ``next_ps``: the production length it makes next, ``cap_ps``, ``converged``:
    True/False/None as last judged, ``made_ps``: simulated ps so far, equilibration included); ``D_by_T``: the D
    (cm²/s) assumed at each temperature. The halves, slope and grid tests can still add doublings. Returns, per
    temperature: runs, D assumed, the length needed, the lengths the runs reach, ps and core-hours left (None without
    a measured rate) and how many runs reach the cap short of the MSD."""
    out: dict[float, dict] = {}
    for run in runs_left:
        T = float(run["temperature_K"])
        D = D_by_T[T]
        needed = length_needed_ps(D, min_msd_A2)
        target = run["next_ps"] if run["converged"] else doubled_length_ps(run["next_ps"], needed, run["cap_ps"])
        row = out.setdefault(T, {"temperature_K": T, "n_runs": 0, "D_assumed_cm2_s": D, "needed_ps": needed,
                                 "target_ps": [], "ps_left": 0.0, "n_capped_short": 0})
        row["n_runs"] += 1
        row["target_ps"].append(target)
        row["ps_left"] += max(0.0, equilibration_ps + target - run["made_ps"])
        row["n_capped_short"] += int(not run["converged"] and target < needed)
    for row in out.values():
        row["core_hours_left"] = row["ps_left"] / ps_per_core_hour if ps_per_core_hour else None
    return sorted(out.values(), key=lambda r: r["temperature_K"])


def cpu_ps_per_core_hour(md_compute: list[dict], sets: set[str]) -> float | None:
    """CPU ps per core-hour pooled over the named plan sets (``md_compute``: ``by_set`` rows); None where they spent
    no CPU time. Name sets of one cell size: a supercell's step costs several times an 83-atom one."""
    rows = [c for c in md_compute if c["set"] in sets]
    hours = sum(c["cpu_core_hours"] for c in rows)
    return sum(c["cpu_ps"] for c in rows) / hours if hours else None


def mean_D_by_T(per_run: list[dict]) -> dict[float, float]:
    """The mean of the runs' own D (cm²/s) per temperature, 83-atom cell only: for the forecast, steadier than one kinisi
    fit of the pooled short runs, which the plateau can pull far below every run's own D."""
    by_T: dict[float, list[float]] = defaultdict(list)
    for r in per_run:
        if r.get("supercell", 1) == 1:
            by_T[float(r["temperature_K"])].append(r["D_cm2_s"])
    return {T: sum(D) / len(D) for T, D in by_T.items()}


def runs_left(planned: list[dict], judged: list[dict], excluded: list[str], runs_dir: Path) -> list[dict]:
    """The entries ``forecast`` needs for every planned run of a pending, doubled (``cap_ps``) set in the 83-atom cell,
    except those the rules left out (``excluded``: run names, e.g. a run that stopped). ``judged``: notebook 6's
    per-run records of the pending series (length and verdict); a run not among them (not started, or in the middle
    of a piece) counts as not converged."""
    verdicts = {r["run_name"]: {"production_ps": r["production_ps"], "converged": r.get("converged")} for r in judged}
    out = []
    for run in planned:
        if run["role"] != "pending" or run.get("cap_ps") is None or run["supercell"] != 1 \
                or run["run_name"] in excluded:
            continue
        cost = run_cost(Path(runs_dir) / run["run_name"])
        out.append({"run_name": run["run_name"], "temperature_K": run["temperature_K"], "cap_ps": run["cap_ps"],
                    "next_ps": plan.run_length_ps(run, Path(runs_dir), verdicts),
                    "converged": bool(verdicts.get(run["run_name"], {}).get("converged")),
                    "made_ps": cost["simulated_ps"] if cost else 0.0})
    return out
