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

from analysis import md, runs

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
