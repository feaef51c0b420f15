"""Benchmarks of the study's cost on this machine (``make bench``), never a timed test.

    python -m analysis.bench md      # MD steps/s: float32/64, 1/2 threads, torch.compile, 83 vs 664 atoms
    python -m analysis.bench dft     # MACE vs a real GPAW PBE single point (needs pip install .[dft])
    python -m analysis.bench stages  # training s/epoch and the wall time of every stage, from the run records
    python -m analysis.bench models  # MD steps/s of the production model and of each model a plan set names
    python -m analysis.bench all     # all four

Each part updates its own entry of ``derived/benchmarks.json`` (so parts can be measured at
different times, e.g. the DFT part while nothing else runs) and the table between the BENCHMARKS
markers in README.md. Every timing records wall time, the process CPU time and the machine's
load average: on a busy machine the CPU time is the fair number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from analysis import data, dft, model, paths, runs

README_START = "<!-- BENCHMARKS:START -->"
README_END = "<!-- BENCHMARKS:END -->"
PARTS = ("md", "dft", "stages", "models")


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``), for timings kept as measurements of a machine."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def md_steps_per_s(model_path: Path, atoms, dtype: str, threads: int, compile_mode: str | None = None,
                   steps: int = 40, repeats: int = 3, timestep_fs: float = 2.0, start_together=None) -> dict:
    """Median MD steps/s (Bussi NVT at 600 K, wall and CPU clock) after a warm-up.

    ``start_together``: a barrier that runs measured side by side wait at after their warm-up (compilation takes
    different times, and a run timed while the other still compiles would be timed alone)."""
    import torch
    from ase import units
    from ase.md.bussi import Bussi
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    torch.set_num_threads(threads)
    calc = model.load_calculator(model_path, dtype, compile_mode=compile_mode)
    atoms = atoms.copy()
    atoms.calc = calc
    rng = np.random.default_rng(0)
    MaxwellBoltzmannDistribution(atoms, temperature_K=600, rng=rng)
    dyn = Bussi(atoms, timestep_fs * units.fs, 600, 100 * units.fs, rng=rng)
    dyn.run(10)  # warm-up (and compilation)
    if start_together is not None:
        start_together.wait()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = _clock()
        dyn.run(steps)
        w1, c1 = _clock()
        wall.append(steps / (w1 - w0))
        cpu.append(steps / (c1 - c0))
    return {"steps_per_s": float(statistics.median(wall)), "steps_per_cpu_s": float(statistics.median(cpu))}


def parallel_md_steps_per_s(model_path: Path, atoms, n_runs: int, compile_mode: str | None = None,
                            steps: int = 40, repeats: int = 3) -> list[dict]:
    """``md_steps_per_s`` in ``n_runs`` single-thread processes at once (each its own float32 MD)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(n_runs, mp_context=context) as pool:
        barrier = manager.Barrier(n_runs)
        jobs = [pool.submit(md_steps_per_s, model_path, atoms, "float32", 1, compile_mode, steps, repeats,
                            start_together=barrier) for _ in range(n_runs)]
        return [job.result() for job in jobs]


def ns_per_day(steps_per_s: float, timestep_fs: float = 2.0) -> float:
    return steps_per_s * timestep_fs * 86400e-6


def force_call_s(model_path: Path, atoms, repeats: int = 5) -> dict:
    """Median wall and CPU seconds per MACE energy+force call (float32, current thread setting)."""
    calc = model.load_calculator(model_path, "float32")
    wall, cpu = [], []
    for k in range(repeats + 1):
        probe = atoms.copy()
        probe.positions += 1e-3 * k
        probe.calc = calc
        w0, c0 = _clock()
        probe.get_forces()
        w1, c1 = _clock()
        wall.append(w1 - w0)
        cpu.append(c1 - c0)
    return {"wall_s": float(statistics.median(wall[1:])), "cpu_s": float(statistics.median(cpu[1:]))}


def gpaw_single_point(atoms, mode: str = "lcao", threads: int = 1) -> dict:
    """A real GPAW PBE energy+force calculation (``analysis.dft``): wall and CPU seconds, SCF iterations, forces
    against VASP's."""
    r = dft.single_point(atoms, mode)
    forces = r.pop("forces_eV_A")
    r.pop("energy_eV")
    if data.FORCES_KEY in atoms.arrays:
        r["force_rms_diff_vs_vasp_meV_A"] = float(np.sqrt(np.mean((forces - atoms.arrays[data.FORCES_KEY]) ** 2)) * 1000)
    return r


def part_md(model_path: Path, quick: bool = False) -> dict:
    atoms = data.read_extxyz(paths.test_xyz())[0]
    steps, repeats = (10, 1) if quick else (40, 3)
    configs = [("float32", 1, None, 1), ("float64", 1, None, 1), ("float32", 2, None, 1)]
    if not quick:
        configs += [("float32", 1, "default", 1), ("float32", 2, "default", 1), ("float32", 1, None, 2)]
    rows = []
    for dtype, threads, compile_mode, rep in configs:
        system = atoms if rep == 1 else atoms.repeat((rep, rep, rep))
        row = {"dtype": dtype, "threads": threads, "compile": compile_mode, "n_atoms": len(system)}
        try:
            rate = md_steps_per_s(model_path, system, dtype, threads, compile_mode, steps, repeats)
        except Exception as exc:  # noqa: BLE001 - e.g. torch.compile unsupported: record, go on
            rows.append({**row, "error": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        rows.append({**row, **rate, "ns_per_day_2fs": ns_per_day(rate["steps_per_s"])})
        print(f"MD {dtype} threads={threads} compile={compile_mode} atoms={len(system)}: "
              f"{rate['steps_per_s']:.1f} steps/s", flush=True)
    # how the study uses the machine: independent single-thread runs side by side
    for compile_mode in (None,) if quick else (None, "default"):
        row = {"dtype": "float32", "threads": 1, "parallel_runs": 2, "compile": compile_mode, "n_atoms": len(atoms)}
        try:
            rates = parallel_md_steps_per_s(model_path, atoms, 2, compile_mode, steps, repeats)
        except Exception as exc:  # noqa: BLE001
            rows.append({**row, "error": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        total = sum(r["steps_per_s"] for r in rates)
        rows.append({**row, "steps_per_s": total, "per_run_steps_per_s": [r["steps_per_s"] for r in rates],
                     "steps_per_cpu_s": sum(r["steps_per_cpu_s"] for r in rates), "ns_per_day_2fs": ns_per_day(total)})
        print(f"MD 2 runs side by side, compile={compile_mode}: {total:.1f} steps/s together", flush=True)
    return {"model_sha256": model.file_sha256(model_path), "runs": rows}


def part_models(model_paths: list[Path], quick: bool = False) -> dict:
    """MD speed of each model (83 atoms, float32, one thread, eager; steps/s and ns/day at 2 fs), measured in turns,
    model after model, so that whatever else loads the machine loads each model alike; the median of the turns."""
    atoms = data.read_extxyz(paths.test_xyz())[0]
    steps, turns = (10, 1) if quick else (40, 3)
    rates: dict[Path, list[dict]] = {p: [] for p in model_paths}
    for turn in range(turns):
        for p in model_paths:
            rates[p].append(md_steps_per_s(p, atoms, "float32", 1, None, steps, 1))
            print(f"MD turn {turn + 1}/{turns} {paths.relative(p)}: {rates[p][-1]['steps_per_s']:.1f} steps/s", flush=True)
    rows = []
    for p, measured in rates.items():
        wall = float(statistics.median(r["steps_per_s"] for r in measured))
        rows.append({"model": str(paths.relative(p)), "model_sha256": model.file_sha256(p), "n_atoms": len(atoms),
                     "steps_per_s": wall, "steps_per_cpu_s": float(statistics.median(r["steps_per_cpu_s"] for r in measured)),
                     "steps_per_s_turns": [r["steps_per_s"] for r in measured], "ns_per_day_2fs": ns_per_day(wall)})
    return {"runs": rows}


def plan_models(plan_file: Path) -> list[Path]:
    """The models the plan's MD sets name (``model``: a training run), besides the production model, in plan order."""
    from analysis import plan

    the_plan = plan.load(plan_file)
    named = [plan.md_model_path(r, paths.runs_dir(), paths.production_model()) for r in plan.md_runs(the_plan) if r["model"]]
    return list(dict.fromkeys(named))


def part_dft(model_path: Path, modes: tuple[str, ...] = ("lcao",)) -> dict:
    import torch

    atoms = data.read_extxyz(paths.test_xyz())[0]
    torch.set_num_threads(1)
    mlip = force_call_s(model_path, atoms)
    out = {"mlip_force_call": mlip, "dft": []}
    for mode in modes:
        print(f"GPAW {mode} single point on {len(atoms)} atoms (one thread) ...", flush=True)
        r = gpaw_single_point(atoms, mode)
        r["mlip_speedup_cpu"] = r["cpu_s"] / mlip["cpu_s"]
        out["dft"].append(r)
        print(f"GPAW {r['mode']}: {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} s CPU, "
              f"{r['mlip_speedup_cpu']:.0f}x the MACE force call", flush=True)
    return out


def part_stages(runs_root: Path) -> dict:
    """Wall time per stage and training seconds per epoch per 100 configurations, from the run records."""
    totals: dict[str, float] = {}
    training = []
    for path in sorted(Path(runs_root).glob("*/summary.json")):
        s = runs.read_json(path)
        name = path.parent.name
        stage = ("stability MD" if name.startswith("stab-") else "production MD" if s.get("kind") == "md"
                 else "training")
        totals[stage] = totals.get(stage, 0.0) + float(s.get("wall_time_s") or 0)
        evaluation = path.parent / "evaluation.json"
        if stage == "training" and evaluation.exists():
            e = runs.read_json(evaluation)
            h = e["hyperparameters"]
            n_fit = round(e["n_train"] * (1 - h["valid_fraction"]))
            training.append({"run_name": name, "architecture": e["architecture"], "n_train": e["n_train"],
                             "epochs": h["max_epochs"], "wall_s": e["train_wall_time_s"],
                             "s_per_epoch_per_100_configs": e["train_wall_time_s"] / h["max_epochs"] / n_fit * 100})
    return {"stage_wall_time_s": totals, "training": training}


def run(parts: tuple[str, ...], model_path: Path, out: Path, quick: bool = False,
        dft_modes: tuple[str, ...] = ("lcao",), compare: tuple[Path, ...] = ()) -> dict:
    """Measure ``parts`` and merge them into ``out`` (other parts' earlier entries are kept); ``compare``: the
    models the ``models`` part measures beside ``model_path``."""
    result = runs.read_json(out) if out.exists() else {}
    for part in parts:
        w0 = time.perf_counter()
        if part == "md":
            value = part_md(model_path, quick)
        elif part == "dft":
            value = part_dft(model_path, dft_modes)
        elif part == "stages":
            value = part_stages(paths.runs_dir())
        elif part == "models":
            value = part_models([model_path, *[p for p in compare if p.resolve() != model_path.resolve()]], quick)
        else:
            raise ValueError(f"unknown benchmark part '{part}'; choose from {PARTS}")
        result[part] = {**value, "measured": runs.provenance()["created"],
                        "load_average_1min": os.getloadavg()[0], "duration_s": time.perf_counter() - w0}
        runs.write_json(out, result)  # after every part: a later failure loses nothing
    return result


def _md_rate(md: dict, **match) -> float | None:
    """steps/s of the first MD row whose fields equal ``match`` (single runs unless parallel_runs is given)."""
    for r in md.get("runs", []):
        if "steps_per_s" in r and r.get("parallel_runs") == match.get("parallel_runs") and all(
                r.get(k) == v for k, v in match.items() if k != "parallel_runs"):
            return float(r["steps_per_s"])
    return None


def ratios(result: dict) -> dict[str, float]:
    """The headline speed ratios (numerator / denominator) from the measured rows (only those whose rows exist)."""
    md = result.get("md") or {}
    eager = dict(dtype="float32", threads=1, compile=None, n_atoms=83)

    def rate(parallel_runs: int | None = None, **change) -> float | None:
        return _md_rate(md, parallel_runs=parallel_runs, **{**eager, **change})

    pairs = {
        "float32 / float64 (MD steps/s, 1 thread)": (rate(), rate(dtype="float64")),
        "torch.compile / eager (MD steps/s, 1 thread)": (rate(compile="default"), rate()),
        "2 threads / 1 thread (MD steps/s, one run)": (rate(threads=2), rate()),
        "664 / 83 atoms (time per MD step)": (rate(), rate(n_atoms=664)),
        "2 runs x 1 thread / 1 run x 2 threads (total MD steps/s)": (rate(parallel_runs=2), rate(threads=2)),
    }
    out = {name: a / b for name, (a, b) in pairs.items() if a and b}
    for d in (result.get("dft") or {}).get("dft", []):
        out[f"GPAW {d['mode']} / MACE (CPU time per energy + forces)"] = float(d["mlip_speedup_cpu"])
    return out


def readme_table(result: dict) -> str:
    lines = ["| measurement | value |", "| --- | --- |"]
    md = result.get("md")
    if md:
        for r in md["runs"]:
            label = f"MD, {r['n_atoms']} atoms, {r['dtype']}, " + (
                f"{r['parallel_runs']} runs side by side, 1 thread each (sum)" if r.get("parallel_runs")
                else f"{r['threads']} thread(s)") + (f", torch.compile {r['compile']}" if r["compile"] else "")
            value = (f"{r['steps_per_s']:.1f} steps/s ({r['ns_per_day_2fs']:.2f} ns/day at 2 fs)" if "steps_per_s" in r
                     else f"not available ({r['error'][:80]})")
            lines.append(f"| {label} | {value} |")
    for r in (result.get("models") or {}).get("runs", []):
        lines.append(f"| MD, {r['n_atoms']} atoms, float32, 1 thread, model {r['model']} (in turns with the others) | "
                     f"{r['steps_per_s']:.1f} steps/s ({r['ns_per_day_2fs']:.2f} ns/day at 2 fs) |")
    dft = result.get("dft")
    if dft:
        lines.append(f"| MACE energy + forces, 83 atoms, 1 thread | {dft['mlip_force_call']['cpu_s'] * 1000:.0f} ms CPU |")
        for d in dft["dft"]:
            diff = d.get("force_rms_diff_vs_vasp_meV_A")
            lines.append(f"| GPAW {d['mode']} energy + forces, {d['n_atoms']} atoms, 1 thread | {d['cpu_s']:.0f} s CPU, "
                         f"{d['scf_iterations']} SCF steps (MACE {d['mlip_speedup_cpu']:.0f}x faster"
                         + (f"; forces differ from VASP by {diff:.0f} meV/Å RMS" if diff is not None else "") + ") |")
    stages = result.get("stages")
    if stages:
        for arch in sorted({t["architecture"] for t in stages["training"]}):
            rates = [t["s_per_epoch_per_100_configs"] for t in stages["training"] if t["architecture"] == arch]
            lines.append(f"| training {arch}, 1 thread | {statistics.median(rates):.1f} s per epoch per 100 "
                         f"configurations (median of {len(rates)} runs) |")
        for stage, seconds in sorted(stages["stage_wall_time_s"].items()):
            lines.append(f"| wall time, all {stage} runs so far | {seconds / 3600:.2f} h |")
    for name, value in ratios(result).items():
        lines.append(f"| ratio: {name} | {value:,.0f} |" if value >= 100 else f"| ratio: {name} | {value:.3g} |")
    loads = {p: result[p]["load_average_1min"] for p in ("md", "dft", "models") if p in result}
    if loads:
        lines.append("| load average while measured (2 cores) | "
                     + ", ".join(f"{p} {v:.1f}" for p, v in loads.items()) + " |")
    return "\n".join(lines)


def update_readme(table: str, readme: Path = paths.ROOT / "README.md") -> None:
    text = readme.read_text()
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        readme.write_text(f"{head}{README_START}\n{table}\n{README_END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=(*PARTS, "all"))
    parser.add_argument("--model", type=Path, default=paths.production_model())
    parser.add_argument("--quick", action="store_true", help="few MD steps, one repeat (for tests)")
    parser.add_argument("--dft-mode", action="append", choices=("lcao", "pw"), help="default: lcao")
    parser.add_argument("--out", type=Path, default=None, help="default: derived/benchmarks.json and the README")
    parser.add_argument("--compare", type=Path, action="append",
                        help="a model the models part measures beside --model (default: those the plan's sets name)")
    parser.add_argument("--plan", type=Path, default=paths.ROOT / "study" / "plan.toml")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.model.exists():
        print(f"ERROR: {args.model}: model file not found (make report first)", file=sys.stderr)
        return 1
    parts = PARTS if args.part == "all" else (args.part,)
    out = args.out or paths.derived_dir() / "benchmarks.json"
    try:
        compare = tuple(args.compare) if args.compare else (plan_models(args.plan) if "models" in parts else ())
        missing = [p for p in compare if not p.exists()]
        if missing and args.compare:  # asked for by name: an error
            print(f"ERROR: {missing[0]}: model file not found", file=sys.stderr)
            return 1
        for p in missing:  # named by the plan but not trained yet (e.g. a fresh clone): measured once it exists
            print(f"WARNING: {p}: not trained yet, left out of the models part", file=sys.stderr)
        compare = tuple(p for p in compare if p.exists())
        result = run(parts, args.model, out, args.quick, tuple(args.dft_mode or ("lcao",)), compare)
    except (RuntimeError, ValueError) as exc:  # ValueError: e.g. a bad plan file (plan.PlanError)
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if args.out is None:
        update_readme(readme_table(result))
    print(readme_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
