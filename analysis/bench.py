"""Benchmarks of the study's cost on this machine (``make bench``), never a timed test.

Measures, as medians over repeats: MD throughput of the production model (float32 vs float64,
1 vs 2 threads, torch.compile on/off, 83 vs 664 atoms), training throughput, a real DFT single
point with GPAW when it is installed (``pip install .[dft]``), and the stage wall times recorded
in the run summaries. Writes ``derived/benchmarks.json`` and the table between the BENCHMARKS
markers in README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from analysis import data, model, paths, runs

README_START = "<!-- BENCHMARKS:START -->"
README_END = "<!-- BENCHMARKS:END -->"


def md_steps_per_s(model_path: Path, atoms, dtype: str, threads: int, compile_mode: str | None = None,
                   steps: int = 40, repeats: int = 3, timestep_fs: float = 2.0) -> float:
    """Median MD steps/s (Bussi NVT at 600 K) after a warm-up."""
    import torch
    from ase import units
    from ase.md.bussi import Bussi
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from mace.calculators import MACECalculator

    torch.set_num_threads(threads)
    if compile_mode is None:
        calc = model.load_calculator(model_path, dtype)
    else:
        calc = MACECalculator(model_paths=str(model_path), device=model.device(), default_dtype=dtype,
                              compile_mode=compile_mode)
    atoms = atoms.copy()
    atoms.calc = calc
    rng = np.random.default_rng(0)
    MaxwellBoltzmannDistribution(atoms, temperature_K=600, rng=rng)
    dyn = Bussi(atoms, timestep_fs * units.fs, 600, 100 * units.fs, rng=rng)
    dyn.run(10)  # warm-up (and compilation)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        dyn.run(steps)
        rates.append(steps / (time.perf_counter() - start))
    return float(statistics.median(rates))


def ns_per_day(steps_per_s: float, timestep_fs: float = 2.0) -> float:
    return steps_per_s * timestep_fs * 86400e-6


def force_call_s(model_path: Path, atoms, repeats: int = 5) -> float:
    """Median seconds per MACE energy+force call (float32, current thread setting)."""
    calc = model.load_calculator(model_path, "float32")
    times = []
    for k in range(repeats + 1):
        probe = atoms.copy()
        probe.positions += 1e-3 * k
        probe.calc = calc
        start = time.perf_counter()
        probe.get_forces()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times[1:]))


def gpaw_single_point(atoms, mode: str = "pw", threads: int = 1) -> dict | None:
    """Wall time (s) of a real GPAW PBE energy+force calculation, or None if GPAW is absent."""
    try:
        from gpaw import GPAW, PW
    except ImportError:
        return None
    probe = atoms.copy()
    kwargs = dict(xc="PBE", kpts=(1, 1, 1), txt=None, spinpol=False, occupations={"name": "fermi-dirac", "width": 0.05})
    probe.calc = GPAW(mode=PW(400), **kwargs) if mode == "pw" else GPAW(mode="lcao", basis="dzp", **kwargs)
    start = time.perf_counter()
    forces = probe.get_forces()
    elapsed = time.perf_counter() - start
    ref = atoms.arrays[data.FORCES_KEY]
    return {"mode": "PW 400 eV" if mode == "pw" else "LCAO dzp", "wall_s": elapsed,
            "force_rms_diff_vs_vasp_meV_A": float(np.sqrt(np.mean((forces - ref) ** 2)) * 1000)}


def stage_times(runs_root: Path) -> dict:
    """Wall times (s) recorded by the run summaries, summed per stage."""
    totals: dict[str, float] = {}
    for path in Path(runs_root).glob("*/summary.json"):
        s = runs.read_json(path)
        name = path.parent.name
        stage = ("stability MD" if name.startswith("stab-") else "MD" if s.get("kind") == "md"
                 else "training")
        totals[stage] = totals.get(stage, 0.0) + float(s.get("wall_time_s") or 0)
    return totals


def run(model_path: Path, quick: bool = False, dft: bool = True) -> dict:
    atoms = data.read_extxyz(paths.test_xyz())[0]
    steps, repeats = (10, 1) if quick else (40, 3)
    result: dict = {"model": str(model_path), "model_sha256": model.file_sha256(model_path), "md": []}
    configs = [("float32", 1, None, 1), ("float64", 1, None, 1), ("float32", 2, None, 1)]
    if not quick:
        configs += [("float32", 1, "default", 1), ("float32", 1, None, 2)]
    for dtype, threads, compile_mode, rep in configs:
        system = atoms if rep == 1 else atoms.repeat((rep, rep, rep))
        try:
            rate = md_steps_per_s(model_path, system, dtype, threads, compile_mode, steps, repeats)
        except Exception as exc:  # noqa: BLE001 - e.g. torch.compile unsupported: record, go on
            result["md"].append({"dtype": dtype, "threads": threads, "compile": compile_mode, "n_atoms": len(system),
                                 "error": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        result["md"].append({"dtype": dtype, "threads": threads, "compile": compile_mode, "n_atoms": len(system),
                             "steps_per_s": rate, "ns_per_day_2fs": ns_per_day(rate)})
        print(f"MD {dtype} threads={threads} compile={compile_mode} atoms={len(system)}: {rate:.1f} steps/s", flush=True)
    import torch

    torch.set_num_threads(1)
    result["mlip_force_call_s"] = force_call_s(model_path, atoms)
    if dft:
        dft_result = gpaw_single_point(atoms)
        if dft_result is not None:
            dft_result["mlip_speedup"] = dft_result["wall_s"] / result["mlip_force_call_s"]
        result["dft"] = dft_result
    result["stage_wall_time_s"] = stage_times(paths.runs_dir())
    result.update(runs.provenance())
    return result


def readme_table(result: dict) -> str:
    lines = ["| measurement | value |", "| --- | --- |"]
    for r in result["md"]:
        label = f"MD, {r['n_atoms']} atoms, {r['dtype']}, {r['threads']} thread(s)" + (
            f", torch.compile {r['compile']}" if r["compile"] else "")
        value = (f"{r['steps_per_s']:.1f} steps/s ({r['ns_per_day_2fs']:.2f} ns/day at 2 fs)" if "steps_per_s" in r
                 else f"not available ({r['error'][:80]})")
        lines.append(f"| {label} | {value} |")
    lines.append(f"| MACE energy + forces, 83 atoms, 1 thread | {result['mlip_force_call_s'] * 1000:.0f} ms |")
    if result.get("dft"):
        d = result["dft"]
        lines.append(f"| GPAW {d['mode']} energy + forces, 83 atoms, 1 thread | {d['wall_s']:.0f} s "
                     f"(MLIP {d['mlip_speedup']:.0f}x faster; forces differ from VASP by {d['force_rms_diff_vs_vasp_meV_A']:.0f} meV/Å RMS) |")
    for stage, seconds in sorted(result["stage_wall_time_s"].items()):
        lines.append(f"| wall time, all {stage} runs so far | {seconds / 3600:.2f} h |")
    return "\n".join(lines)


def update_readme(table: str, readme: Path = paths.ROOT / "README.md") -> None:
    text = readme.read_text()
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        readme.write_text(f"{head}{README_START}\n{table}\n{README_END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=paths.production_model())
    parser.add_argument("--quick", action="store_true", help="few steps, one repeat (for tests)")
    parser.add_argument("--no-dft", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.model.exists():
        print(f"ERROR: {args.model}: model file not found (make report first)", file=sys.stderr)
        return 1
    result = run(args.model, quick=args.quick, dft=not args.no_dft)
    out = args.out or paths.derived_dir() / "benchmarks.json"
    runs.write_json(out, result)
    if args.out is None:
        update_readme(readme_table(result))
    print(readme_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
