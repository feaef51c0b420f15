"""The study's headline numbers: ``derived/summary.json``, assembled from the stage results.

    python -m analysis.summary promote data/runs/train-…   # make a run's model the production model
    python -m analysis.summary build                       # write derived/summary.json
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from analysis import model, paths, runs


_relative = paths.relative


def promote(run: Path) -> Path:
    """Copy a finished training run's final model to the production-model path, with a record."""
    run = Path(run)
    evaluation = run / "evaluation.json"
    if not evaluation.exists():
        raise FileNotFoundError(f"{evaluation}: not found (train and evaluate the run first)")
    record = runs.read_json(evaluation)
    source = paths.ROOT / record["model_path"]  # relative to the project root, or absolute
    target = paths.production_model()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = runs.temporary_path(target)
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    runs.write_json(target.with_suffix(".json"), {
        "source_run": run.name, "source_model": _relative(source), "sha256": model.file_sha256(target),
        **{k: record[k] for k in record if k.startswith("test_") or k in ("n_train", "architecture", "hyperparameters")},
    })
    return target


def build() -> dict:
    """Assemble ``summary.json`` from dataset.json, the production model record,
    learning_curve.json and diffusion.json (stages not yet computed are left out)."""
    derived = paths.derived_dir()
    summary: dict = {}
    dataset = derived / "dataset.json"
    if dataset.exists():
        d = runs.read_json(dataset)
        summary["dataset"] = {k: d[k] for k in ("name", "source", "n_configs", "sha256", "n_train", "n_test",
                                                "test_indices", "split_seed", "volume_A3", "formula",
                                                "energy_per_atom_std_meV", "force_rms_eV_A",
                                                "min_pair_distance_A")}
    production = paths.production_model().with_suffix(".json")
    if production.exists():
        p = runs.read_json(production)
        run_eval = runs.read_json(paths.run_dir(p["source_run"]) / "evaluation.json")
        summary["model"] = {
            "path": _relative(paths.production_model()), "sha256": p["sha256"], "source_run": p["source_run"],
            **{k: v for k, v in run_eval.items() if k.startswith(("test_", "baseline_"))},
            "n_train": run_eval["n_train"], "train_wall_time_s": run_eval["train_wall_time_s"],
            "hyperparameters": run_eval["hyperparameters"],
        }
    curve = derived / "learning_curve.json"
    if curve.exists():
        c = runs.read_json(curve)
        summary["learning_curve"] = [
            {k: r.get(k) for k in ("n_train", "seed", "test_energy_rmse_meV_per_atom", "test_force_rmse_meV_per_A",
                                   "architecture", "max_epochs")}
            for r in c["runs"]
        ]
        summary["learning_curve_fit"] = c["fits"]
        summary["learning_curve_pretrained"] = [  # the same curve fine-tuned from the pre-trained model (notebook 9)
            {k: r.get(k) for k in ("n_train", "seed", "test_energy_rmse_meV_per_atom", "test_force_rmse_meV_per_A")}
            for r in (c.get("pretrained") or {}).get("runs", [])]
    diffusion = derived / "diffusion.json"
    if diffusion.exists():
        df = runs.read_json(diffusion)
        summary["diffusion"] = df["per_run"]
        summary["diffusion_per_temperature"] = df["per_temperature"]
        summary["diffusion_excluded"] = df["excluded"]
        # runs and temperatures the plan's convergence rule left out of the fit, shown beside it
        summary["diffusion_left_out"] = df.get("left_out")
        summary["diffusion_plan_sets"] = df.get("plan_sets")
        summary["diffusion_convergence"] = df.get("convergence")
        summary["diffusion_min_intact_ps"] = df.get("min_intact_ps")
        summary["diffusion_reference_ps"] = df.get("reference_ps")
        summary["diffusion_conductivity"] = df.get("conductivity")  # σ from the collective displacement, Haven ratio
        summary["arrhenius"] = df["arrhenius"]
        pending = df.get("pending")  # runs of the pending sets (still doubled, or done), never fitted: the report quotes
        # the extrapolation target's so far, with each run's length and verdict
        summary["diffusion_pending"] = pending and {
            "per_temperature": pending["per_temperature"],
            "per_run": [{k: r.get(k) for k in ("run_name", "temperature_K", "supercell", "production_ps", "converged",
                                                  "still_running")}
                        for r in pending["per_run"]],
            "finite_size": pending.get("finite_size") or []}  # supercell D against the 83-atom D, per temperature
        previous = df.get("previous")  # a series the plan superseded, analysed as it was fitted, for the comparison
        # (per run only what the report reads of it: the core repulsion it was made with)
        summary["diffusion_previous"] = previous and {
            **{k: previous[k] for k in ("sets", "n_runs", "per_temperature", "arrhenius")}, "models": previous.get("models"),
            "per_run": [{k: r.get(k) for k in ("run_name", "core_repulsion_onset_A", "core_active_fraction",
                                               "core_max_eV")} for r in previous["per_run"]]}
    stability = derived / "stability.json"
    if stability.exists():
        st = runs.read_json(stability)
        by_model: dict[str, dict[str, int]] = {}  # failures per candidate and cause (the species pair, e.g. Li-Li)
        for r in st["runs"]:
            if r["failed"]:
                causes = by_model.setdefault(r["model"], {})
                cause = r["reason"].split()[0]
                causes[cause] = causes.get(cause, 0) + 1
        summary["stability"] = {"table": st["table"], "test_errors": st["test_errors"], "nve": st.get("nve", []),
                                "failures_by_model_and_cause": by_model, "ps4_dft": st.get("ps4_dft")}
    committee = derived / "committee.json"
    if committee.exists():
        c = runs.read_json(committee)
        summary["committee"] = {k: c.get(k) for k in ("members", "test_sigma_eV_A", "per_temperature", "per_run",
                                                       "limit_eV_A", "limit_factor", "before_failure", "every_ps",
                                                       "production_events", "production_event_table")}
    candidates = derived / "architecture.json"
    if candidates.exists():
        summary["architecture"] = [
            {k: r[k] for k in ("architecture", "test_force_rmse_meV_per_A", "test_energy_rmse_meV_per_atom",
                               "ns_per_day_per_core", "pareto")} for r in runs.read_json(candidates)["candidates"]]
    benchmarks = derived / "benchmarks.json"
    if benchmarks.exists():
        b = runs.read_json(benchmarks)
        summary["benchmarks"] = {k: b[k] for k in ("md", "dft") if k in b}
    pretraining = derived / "pretraining.json"
    if pretraining.exists():
        pt = runs.read_json(pretraining)
        summary["pretraining"] = {k: pt[k] for k in ("synthetic_set", "table", "decision")}
    summary["provenance"] = runs.provenance()
    runs.write_json(paths.summary_file(), summary)
    if paths.study_dir() == paths.ROOT / "data":  # the study's own results (not a smoke run) are quoted by README.md
        update_readme_results(readme_results(summary))
    return summary


README_START, README_END = "<!-- RESULTS:START -->", "<!-- RESULTS:END -->"


def readme_results(summary: dict) -> str:
    """The headline numbers README.md quotes, as a Markdown table made from ``summary`` (nothing typed by hand)."""
    lines = ["| result | value |", "| --- | --- |"]
    m = summary.get("model")
    if m:
        lines.append(f"| production model, test force / energy RMSE | {m['test_force_rmse_meV_per_A']:.1f} meV/Å / "
                     f"{m['test_energy_rmse_meV_per_atom']:.2f} meV/atom |")
    a = summary.get("arrhenius")
    if a:
        lo, hi = a["T_range_K"]
        lines += [f"| activation energy Ea ({lo:g}–{hi:g} K, {a['n_temperatures']} temperatures) | "
                  f"{a['Ea_eV']:.3f} ± {a['Ea_err_eV']:.3f} eV (fit reduced χ² {a['chi2_red']:.2f}) |",
                  f"| D(300 K) from the fit | {a['D300K_cm2_s']:.2e} ± {a['D300K_err_cm2_s']:.1e} cm²/s |",
                  f"| σ(300 K), Nernst–Einstein, Haven ratio {a['haven_ratio']:g} | {a['sigma300K_S_cm'] * 1000:.0f} ± "
                  f"{a['sigma300K_err_S_cm'] * 1000:.0f} mS/cm |"]
    for r in summary.get("diffusion_per_temperature", []):
        chi2 = f", χ²_red between runs {r['chi2_red']:.2f}" if r["n_runs"] > 1 else ""
        lines.append(f"| D({r['temperature_K']:g} K), {r['n_runs']} run(s) | {r['D_cm2_s']:.2e} ± {r['D_err_cm2_s']:.1e}"
                     f" cm²/s{chi2} |")
    pt = summary.get("pretraining")
    if pt:
        rows = {(r["candidate"], r["kind"]): r for r in pt["table"]}
        changes = ", ".join(f"{a} {rows[(a, 'scratch')]['test_force_rmse_meV_per_A']:.1f} → "
                            f"{rows[(a, 'fine-tuned')]['test_force_rmse_meV_per_A']:.1f}"
                            for a in dict.fromkeys(r["candidate"] for r in pt["table"]) if (a, "scratch") in rows)
        decision = pt["decision"]["adopted"] or f"none passes; production stays {pt['decision']['production_model']}"
        lines.append(f"| synthetic pre-training, test force RMSE from scratch → fine-tuned (meV/Å) | {changes}; "
                     f"decision: {decision} |")
    return "\n".join(lines)


def update_readme_results(table: str, readme: Path = paths.ROOT / "README.md") -> None:
    """Replace the block between the RESULTS markers of README.md (left alone when the markers are missing)."""
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_START}\n{table}\n{README_END}{tail}"
    if new != text:
        runs.atomic_write_text(readme, new)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["promote"] and len(argv) == 2:
            print(promote(Path(argv[1])))
        elif argv == ["build"]:
            build()
            print(paths.summary_file())
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (FileNotFoundError, KeyError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
