"""The temperature series: D per run and per temperature, then the Arrhenius fit.

Units: T in K, D in cm²/s, Ea in eV, σ in S/cm.
"""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path

import numpy as np

from analysis import arrhenius, convergence, diffusion, model, plan, run_files, runs, structure

log = logging.getLogger(__name__)


def planned_runs(the_plan: dict, runs_root: Path, production_model: Path) -> list[dict]:
    """The plan's MD runs (``plan.md_runs``), each with the ``model_sha256`` of the model that makes it (its set's
    own model, or the production model), less the pending series' runs not made yet (``make series`` makes them
    piece by piece; a run being extended counts at its last finished piece, ``runs.piece_summary_path``)."""
    sha = {}
    out = []
    for r in plan.md_runs(the_plan):
        if r["role"] == "pending" and runs.piece_summary_path(Path(runs_root) / r["run_name"]) is None:
            continue
        path = plan.md_model_path(r, runs_root, production_model)
        if path not in sha:
            sha[path] = model.file_sha256(path)
        out.append({**r, "model_sha256": sha[path]})
    return out


def collect_runs(runs_root: Path, planned: list[dict] | None = None,
                 model_sha256: str | None = None) -> tuple[list[dict], list[dict]]:
    """The finished MD runs of the plan made with ``model_sha256`` (all models when None), and those excluded.

    ``planned``: the plan's MD runs (``plan.md_runs`` or ``planned_runs``), each record keeps its ``set``, ``role``
    and ``model`` (its set's training run; None: the production model), and an entry's own ``model_sha256``
    (``planned_runs``) replaces ``model_sha256``, so a used run was made with the model its entry names; a finished
    ``md-*`` run on disk that the plan does not declare (e.g. ``make md``) is excluded as outside the plan.
    ``planned`` None: every ``md-*`` run on disk, all with role "fit". Unstable runs, unfinished runs and runs of
    another model are excluded with a warning, never silently used. A run being extended is read at its last
    finished piece (``runs.piece_summary_path``).
    """
    on_disk = sorted(p.parent.name for p in Path(runs_root).glob("md-*/summary.json"))
    if planned is None:
        planned = [{"run_name": name, "set": None, "role": "fit"} for name in on_disk]
    used, excluded = [], []
    for entry in planned:
        path = runs.piece_summary_path(Path(runs_root) / entry["run_name"])
        if path is None:
            raise FileNotFoundError(f"{Path(runs_root) / entry['run_name'] / 'summary.json'}: a run of the plan has not "
                                    f"been made (make study makes it)")
        summary = {**runs.read_json(path), "set": entry["set"], "role": entry["role"], "model": entry.get("model"),
                   "cap_ps": entry.get("cap_ps")}
        reason = None
        if summary.get("status") == "unstable":
            failure = summary["failure"]
            reason = (f"unstable {run_files.failure_when(failure, summary['settings']['equilibration_ps'])} "
                      f"({failure['reason']})")
        elif summary.get("status") != "done":
            reason = f"status {summary.get('status')}"
        elif entry.get("model_sha256", model_sha256) not in (None, summary["model_sha256"]):
            reason = "made with another model"
        if reason is None:
            used.append({**summary, "run_dir": str(path.parent)})
        else:
            excluded.append(_exclusion(path.parent.name, summary, reason, failure=summary.get("failure")))
    names = {e["run_name"] for e in planned}
    for name in on_disk:
        if name not in names:
            summary = {**runs.read_json(Path(runs_root) / name / "summary.json"), "set": None, "role": plan.OUTSIDE}
            excluded.append(_exclusion(name, summary, f"{plan.OUTSIDE} (e.g. make md): never in the fit",
                                       failure=summary.get("failure")))
    return used, excluded


def leave_out_probes(used: list[dict], excluded: list[dict]) -> tuple[list, list]:
    """After the selection rules: runs whose role is not "fit" (the plan's probes) leave the fit, with the reason
    (take the pending and previous series apart first: ``take_role``)."""
    keep = [r for r in used if r.get("role", "fit") == "fit"]
    dropped = list(excluded) + [
        _exclusion(r["run_name"], r, f"role {r['role']} (set {r['set']!r}): analysed by the rules, never in the fit",
                   failure=None, broken_PS4_fraction=r.get("broken_PS4_fraction"))
        for r in used if r.get("role", "fit") != "fit"]
    return keep, dropped


def take_role(used: list[dict], excluded: list[dict], role: str) -> tuple[tuple[list, list], tuple[list, list]]:
    """Split the runs that passed or failed the selection rules into those of ``role`` and the rest:
    ``((used, excluded) of the rest, (used, excluded) of the role)``. The pending series (role "pending") is analysed
    and reported on its own while its runs accumulate; a superseded series (role "previous") is analysed as it was
    fitted, for the comparison with the fit that replaced it. Neither enters the fit."""
    def split(rows):
        return ([r for r in rows if r.get("role") != role], [r for r in rows if r.get("role") == role])
    (rest_used, role_used), (rest_excluded, role_excluded) = split(used), split(excluded)
    return (rest_used, rest_excluded), (role_used, role_excluded)


def _exclusion(run_name: str, summary: dict, reason: str, **extra) -> dict:
    """The record of a run left out of the diffusion analysis, announced with a warning (``summary``: a run's
    summary, or an analysed per-run record, which holds temperature and seed itself)."""
    warnings.warn(f"{run_name}: excluded from the diffusion analysis: {reason}", stacklevel=3)
    settings = summary.get("settings", summary)
    return {"run_name": run_name, "reason": reason, "temperature_K": settings["temperature_K"],
            "seed": settings["seed"], "equilibration_ps": settings.get("equilibration_ps"), "set": summary.get("set"),
            "role": summary.get("role", "fit"), **extra}


def exclude_extrapolating(used: list[dict], excluded: list[dict], committee_runs: list[dict]) -> tuple[list, list]:
    """Move runs the committee monitor found outside the trained region (``committee.per_run``) from
    ``used`` to ``excluded``, with the reason; a used run the monitor has not seen is an error."""
    verdict = {r["run_name"]: r for r in committee_runs}
    keep, dropped = [], list(excluded)
    for summary in used:
        r = verdict.get(summary["run_name"])
        if r is None:
            raise ValueError(f"{summary['run_name']}: not in the committee results; rerun notebook 5 (committee) first")
        if not r["left_trained_region"]:
            keep.append(summary)
            continue
        reason = (f"left the trained region after {r['first_above_limit_ps']:g} ps of production "
                  f"(committee σ up to {r['sigma_max_eV_A']:.2f} eV/Å)")
        dropped.append(_exclusion(summary["run_name"], summary, reason, failure=None, committee=r))
    return keep, dropped


def restrict_to_intact(used: list[dict], excluded: list[dict], min_intact_ps: float = 40.0,
                       scans: dict[str, dict] | None = None) -> tuple[list, list]:
    """Keep only what the DFT data cover structurally: in every LiPS configuration each P has four S within 3 Å.

    A run in which the model broke a PS4 unit is analysed over its longest stretch without one (``frame_window``)
    if that stretch lasts at least ``min_intact_ps``, and is excluded otherwise; the fraction of broken frames
    is recorded either way (``broken_PS4_fraction``). ``min_intact_ps`` 0 analyses all frames (record only).
    ``scans``: the committee notebook's scan of every frame per run (``stability.production_events`` rows with
    ``broken_PS4_fraction``, ``intact_window``, ``positions_interval_fs``), so that it is computed once; a run
    without one is scanned here."""
    keep, dropped = [], list(excluded)
    for summary in used:
        scan = (scans or {}).get(summary["run_name"]) or {}
        if scan.get("intact_window") is not None:
            fraction, (start, stop) = scan["broken_PS4_fraction"], scan["intact_window"]
            interval_fs = scan["positions_interval_fs"]
        else:
            frames, interval_fs = run_files.read_positions(Path(summary["run_dir"]), summary)
            broken = structure.undercoordinated(frames)
            fraction, (start, stop) = float(np.mean(broken > 0)), structure.longest_intact_window(broken)
        intact_ps = (stop - start) * interval_fs / 1000.0
        record = {**summary, "broken_PS4_fraction": fraction}
        if fraction == 0 or min_intact_ps <= 0:  # 0: record only
            keep.append(record)
        elif intact_ps >= min_intact_ps:
            keep.append({**record, "frame_window": [int(start), int(stop)]})
        else:
            reason = (f"a PS4 unit broken in {fraction:.0%} of the frames; longest intact stretch "
                      f"{intact_ps:.0f} ps < {min_intact_ps:g} ps")
            dropped.append(_exclusion(summary["run_name"], summary, reason, failure=None, broken_PS4_fraction=fraction))
    return keep, dropped


def analyse(used: list[dict], fit_start_ps: float, seed: int = 0, reference_ps: float | None = None,
            convergence_rule: dict | None = None) -> dict:
    """D for every run (kinisi), per temperature (combined), the Arrhenius fit and 300 K values.

    A run with a ``frame_window`` (see ``restrict_to_intact``) is analysed over that window only; its D from all
    frames is kept as ``D_full_cm2_s`` to show how much the broken stretches matter. A run at least 1.2 times
    longer than ``reference_ps`` (the series' production length) is also analysed over the first ``reference_ps`` of
    its analysed frames (``D_first_cm2_s``): how much D changes with run length shows whether the standard runs are
    converged. Every run also gets the convergence measures of ``analysis.convergence`` and, with
    ``convergence_rule`` (the plan's ``[convergence]``), its verdict."""
    per_run, curves, analysed = [], {}, {}
    for summary in used:
        settings = summary["settings"]
        frames, interval_fs = run_files.read_positions(Path(summary["run_dir"]), summary)
        dt_ps = interval_fs / 1000.0
        d_full = None
        if summary.get("frame_window"):
            d_full = diffusion.diffusion_coefficient([frames], dt_ps, fit_start_ps, seed=seed)["D_cm2_s"]
            start, stop = summary["frame_window"]
            frames = frames[start:stop]
        result = diffusion.diffusion_coefficient([frames], dt_ps, fit_start_ps, seed=seed)
        first = {"D_first_cm2_s": None, "D_first_err_cm2_s": None, "first_window_ps": None, "D_first_change": None}
        if reference_ps and (len(frames) - 1) * dt_ps >= 1.2 * reference_ps:
            n_first = int(round(reference_ps / dt_ps))  # as many frames as a standard run has
            short = diffusion.diffusion_coefficient([frames[:n_first]], dt_ps, fit_start_ps, seed=seed)
            first = {"D_first_cm2_s": short["D_cm2_s"], "D_first_err_cm2_s": short["D_err_cm2_s"],
                     "first_window_ps": (n_first - 1) * dt_ps,
                     "D_first_change": short["D_cm2_s"] / result["D_cm2_s"] - 1.0}  # relative, D_first / D - 1
        t_ps, msd_A2 = diffusion.msd(frames, dt_ps)
        curves.setdefault(settings["temperature_K"], []).append((t_ps, msd_A2))
        analysed.setdefault(settings["temperature_K"], []).append((frames, dt_ps))
        converged = convergence.measure(frames, dt_ps, t_ps, msd_A2, result, convergence_rule, seed=seed)
        per_run.append({
            "run_name": summary["run_name"], "temperature_K": settings["temperature_K"],
            "seed": settings["seed"], "set": summary.get("set"), "role": summary.get("role", "fit"),
            "supercell": supercell(summary), "n_atoms": len(frames[0]), "production_ps": summary["production_ps"],
            "cap_ps": summary.get("cap_ps"), "D_cm2_s": result["D_cm2_s"], "D_err_cm2_s": result["D_err_cm2_s"],
            "fit_start_ps": result["fit_start_ps"], "fit_end_ps": result["fit_end_ps"],
            "msd_exponent": diffusion.msd_exponent(t_ps, msd_A2, result["fit_start_ps"]),
            "rms_displacement_at_fit_end_A": float(np.sqrt(np.interp(result["fit_end_ps"], t_ps, msd_A2))),
            "broken_PS4_fraction": summary.get("broken_PS4_fraction"), "analysed_ps": (len(frames) - 1) * dt_ps,
            "D_full_cm2_s": d_full, **first,
            "min_distance_A": summary["min_distance_A"],
            "mean_temperature_K": summary["mean_temperature_K"],
            "steps_per_s": summary["steps_per_s"], "timestep_fs": settings["timestep_fs"],
            "equilibration_ps": settings["equilibration_ps"], "thermostat_time_fs": settings["thermostat_time_fs"],
            "wall_time_s": summary["wall_time_s"],
            "core_repulsion_onset_A": settings.get("core_repulsion_onset_A") or {},
            "pair_limit_A": settings["pair_min_distance_A"], "limit_A": settings["min_distance_A"],
            **run_files.core_repulsion_activity(run_files.read_thermo(Path(summary["run_dir"]) / "thermo.csv")),
            **converged,
        })
    return {"per_run": per_run, "per_temperature": per_temperature(per_run), "msd_curves": curves,
            "frames": analysed}


def leave_out_unconverged(result: dict, excluded: list[dict]) -> tuple[dict, list[dict]]:
    """Apply the plan's convergence rule: runs that fail it leave the fit, with the reasons; the per-temperature
    values are made again from the rest (a temperature with no converged run drops out). What left is kept, to be
    shown beside the fit (``left_out``): every run that failed the rule, and per temperature, combined over its
    runs, each temperature that has no converged run."""
    keep = [r for r in result["per_run"] if r.get("converged") is not False]
    failed = [r for r in result["per_run"] if r.get("converged") is False]
    kept_T = {r["temperature_K"] for r in keep}
    dropped = list(excluded) + [_exclusion(r["run_name"], r, plan.NOT_CONVERGED + "; ".join(r["convergence_reasons"]),
                                           failure=None) for r in failed]
    kept = {r["run_name"] for r in keep}
    curves = {T: c for T, c in result["msd_curves"].items() if T in kept_T}
    frames = {T: [f for f, r in zip(result["frames"][T], [r for r in result["per_run"] if r["temperature_K"] == T])
                  if r["run_name"] in kept] for T in curves}
    left_out = {"per_run": failed,
                "per_temperature": per_temperature([r for r in failed if r["temperature_K"] not in kept_T])}
    return {"per_run": keep, "per_temperature": per_temperature(keep), "msd_curves": curves, "frames": frames,
            "left_out": left_out}, dropped


def supercell(summary: dict) -> int:
    """How many times the 83-atom cell is repeated along each axis in a run (1 for runs made before the setting)."""
    return summary["settings"].get("supercell", 1)


def still_running(run: dict) -> bool:
    """Whether a pending run (an analysed per-run record) goes on being made in pieces: an 83-atom run of a doubled
    set (``cap_ps``) judged not converged and still below its cap. A finished supercell run, a converged run, a run
    at its cap and one no rule judged are done. It mirrors the doubling rule of ``plan.run_length_ps`` (same
    tolerance), which asks no more of them."""
    return (run.get("cap_ps") is not None and run.get("supercell", 1) == 1 and run.get("converged") is False
            and run["production_ps"] < run["cap_ps"] - 1e-6)


def pending_state(run: dict) -> str:
    """A pending run's verdict in words (an analysed per-run record of ``analyse_pending``): "converged", "not
    converged yet" (doubled next, ``still_running``), "not converged at its cap", "not converged" (a set without a
    cap) or "not judged" (no rule)."""
    if run.get("converged") is None:
        return "not judged"
    if run["converged"]:
        return "converged"
    if run.get("still_running"):
        return "not converged yet"
    return "not converged" if run.get("cap_ps") is None else "not converged at its cap"


def analyse_pending(used: list[dict], excluded: list[dict], fit_start_ps: float, rule: dict | None, n_li: int,
                    volume_A3: float, seed: int = 0, fit: dict | None = None) -> dict | None:
    """The pending series so far (``take_role``): every run it has made, analysed like the fit's runs with the
    plan's convergence verdicts; per temperature over all its analysed 83-atom runs and over the converged ones, and
    the Arrhenius fit of the converged ones where they cover two temperatures (None otherwise) and σ measured directly
    with the Haven ratio per temperature of converged runs (``direct_conductivity``; ``n_li`` and ``volume_A3`` are
    the 83-atom cell's). Supercell runs stay out of all of these: ``finite_size`` compares their D with the 83-atom D
    at the same temperature: the pending series' own, else (once that series has become the fit) the fit's where
    ``fit`` (``{"runs": [...], "per_temperature": [...]}``) was made with the supercell runs' model (the same file,
    by its sha256). None before its
    first run is made."""
    if not used and not excluded:
        return None
    empty = {"per_run": [], "per_temperature": [], "msd_curves": {}, "frames": {}}
    unit = [r for r in used if supercell(r) == 1]
    result = analyse(unit, fit_start_ps, seed=seed, convergence_rule=rule) if unit else empty
    larger, finite = [], []
    for cells in sorted({supercell(r) for r in used} - {1}):  # each supercell size on its own
        big_runs = [r for r in used if supercell(r) == cells]
        big = analyse(big_runs, fit_start_ps, seed=seed, convergence_rule=rule)
        larger += big["per_run"]
        reference = result["per_temperature"]
        if fit and {r["model_sha256"] for r in fit["runs"]} == {r["model_sha256"] for r in big_runs}:
            own = {r["temperature_K"] for r in reference}
            reference = reference + [r for r in fit["per_temperature"] if r["temperature_K"] not in own]
        finite += finite_size(big["per_temperature"], reference, cells, big["per_run"][0]["n_atoms"])
    with warnings.catch_warnings():  # the verdicts are in per_run; nothing is excluded from the fit here
        warnings.simplefilter("ignore")
        converged, _ = leave_out_unconverged(result, []) if rule else (result, [])
    per_run = [{**r, "still_running": still_running(r)} for r in result["per_run"] + larger]
    return {"per_run": per_run, "per_temperature": result["per_temperature"],
            "converged_per_temperature": converged["per_temperature"],
            "arrhenius": (arrhenius_summary(converged["per_temperature"], n_li, volume_A3)
                          if len(converged["per_temperature"]) >= 2 else None),
            "conductivity": direct_conductivity(converged, fit_start_ps, n_li, volume_A3, seed=seed),
            "finite_size": finite, "excluded": excluded}


def analyse_previous(used: list[dict], excluded: list[dict], fit_start_ps: float, rule: dict | None, n_li: int,
                     volume_A3: float, seed: int = 0, reference_ps: float | None = None) -> dict | None:
    """A series the plan has superseded (role "previous", ``take_role``), analysed as it was when it was the fit:
    every run that passes the selection rules, with the convergence verdicts reported but not applied (it was made
    before the rule), per temperature and its Arrhenius fit; the sets it came from, the models its runs were made
    with (the training runs the plan names for its sets, checked against each run's model by ``collect_runs``;
    None: the production model) and the runs the rules left out.
    None when the plan declares no previous series."""
    if not used and not excluded:
        return None
    result = analyse(used, fit_start_ps, seed=seed, reference_ps=reference_ps, convergence_rule=rule) \
        if used else {"per_run": [], "per_temperature": []}
    return {"sets": list(dict.fromkeys(r["set"] for r in used + excluded if r.get("set"))),  # in plan order
            "models": list(dict.fromkeys(r.get("model") for r in used)),
            "n_runs": len(result["per_run"]), "per_run": result["per_run"],
            "per_temperature": result["per_temperature"], "arrhenius": arrhenius_summary(result["per_temperature"], n_li, volume_A3)
            if len(result["per_temperature"]) >= 2 else None,
            "excluded": excluded}


def finite_size(supercell_per_temperature: list[dict], cell_per_temperature: list[dict], cells: int,
                n_atoms: int) -> list[dict]:
    """Per temperature with runs of the ``cells`` x ``cells`` x ``cells`` supercell (``n_atoms``): their combined D
    against the 83-atom cell's (cm²/s), the ratio with its error (both relative errors combined) and the pull
    (difference over the combined standard deviation); the 83-atom D is None where no such run exists yet.
    A pull within ±2 finds no size effect at this precision (mean-field finite-size corrections to D in a solid
    are small; a 27-Li cell could still cut off correlated motion)."""
    cell = {r["temperature_K"]: r for r in cell_per_temperature}
    out = []
    for r in supercell_per_temperature:
        c = cell.get(r["temperature_K"])
        row = {"temperature_K": r["temperature_K"], "supercell": cells, "n_atoms": n_atoms, "D_supercell_cm2_s": r["D_cm2_s"],
               "D_supercell_err_cm2_s": r["D_err_cm2_s"], "n_runs_supercell": r["n_runs"],
               "D_cell_cm2_s": None, "D_cell_err_cm2_s": None, "ratio": None, "ratio_err": None, "pull": None}
        if c is not None:
            ratio = r["D_cm2_s"] / c["D_cm2_s"]
            row.update(D_cell_cm2_s=c["D_cm2_s"], D_cell_err_cm2_s=c["D_err_cm2_s"], ratio=ratio,
                       ratio_err=abs(ratio) * math.hypot(r["D_err_cm2_s"] / r["D_cm2_s"], c["D_err_cm2_s"] / c["D_cm2_s"]),
                       pull=(r["D_cm2_s"] - c["D_cm2_s"]) / math.hypot(r["D_err_cm2_s"], c["D_err_cm2_s"]))
        out.append(row)
    return out


def direct_conductivity(result: dict, fit_start_ps: float, n_li: int, volume_A3: float, seed: int = 0) -> list[dict]:
    """Per temperature: σ measured from the collective Li displacement of the pooled runs (``diffusion.conductivity``,
    S/cm), the Nernst–Einstein σ of the tracer D (Haven ratio 1), and the Haven ratio H_R = σ_NE / σ with its error
    from both relative errors. With one collective displacement per run, σ is far noisier than D."""
    out = []
    for T in sorted(result["frames"]):
        runs_at_T = result["frames"][T]
        direct = diffusion.conductivity([f for f, _ in runs_at_T], runs_at_T[0][1], fit_start_ps, T, seed=seed)
        tracer = next(r for r in result["per_temperature"] if r["temperature_K"] == T)
        ne = arrhenius.nernst_einstein_conductivity(tracer["D_cm2_s"], n_li, volume_A3, T)
        rel = math.hypot(direct["sigma_err_S_cm"] / direct["sigma_S_cm"], tracer["D_err_cm2_s"] / tracer["D_cm2_s"]) \
            if direct["sigma_S_cm"] > 0 else float("nan")
        haven = ne / direct["sigma_S_cm"] if direct["sigma_S_cm"] > 0 else float("nan")
        out.append({"temperature_K": T, **direct, "sigma_NE_S_cm": ne, "sigma_NE_err_S_cm": ne * tracer["D_err_cm2_s"] /
                    tracer["D_cm2_s"], "haven_ratio": haven, "haven_ratio_err": abs(haven) * rel})
    return out


def per_temperature(per_run: list[dict]) -> list[dict]:
    """Runs at one temperature combined (``diffusion.combine``), with the run length and the worst of each
    diagnostic over the runs; ``n_converged``: runs that pass the plan's convergence rule (None without one)."""
    out = []
    for T in sorted({r["temperature_K"] for r in per_run}):
        group = [r for r in per_run if r["temperature_K"] == T]
        combined = diffusion.combine([r["D_cm2_s"] for r in group], [r["D_err_cm2_s"] for r in group])
        out.append({"temperature_K": T, **combined,
                    "production_ps_total": sum(r["production_ps"] for r in group),
                    "msd_exponent_min": min(r["msd_exponent"] for r in group),
                    "rms_displacement_min_A": min(r["rms_displacement_at_fit_end_A"] for r in group),
                    "broken_PS4_fraction_max": max(r["broken_PS4_fraction"] or 0.0 for r in group),
                    "msd_end_min_A2": min(r["msd_end_A2"] for r in group),
                    "n_converged": (sum(bool(r["converged"]) for r in group)
                                    if all(r["converged"] is not None for r in group) else None)})
    return out


def arrhenius_summary(per_temperature: list[dict], n_li: int, volume_A3: float,
                      target_K: float = 300.0, haven_ratio: float = 1.0) -> dict | None:
    """Arrhenius fit over the temperatures, D and Nernst–Einstein σ extrapolated to ``target_K``."""
    if len(per_temperature) < 2:
        log.warning("fewer than 2 temperatures: no Arrhenius fit")
        return None
    T = np.array([r["temperature_K"] for r in per_temperature])
    D = np.array([r["D_cm2_s"] for r in per_temperature])
    err = np.array([r["D_err_cm2_s"] for r in per_temperature])
    fit = arrhenius.fit(T, D, err)
    D_target, D_target_err = arrhenius.extrapolate(fit, target_K)
    sigma = arrhenius.nernst_einstein_conductivity(D_target, n_li, volume_A3, target_K, haven_ratio)
    return {**fit, f"D{target_K:g}K_cm2_s": D_target, f"D{target_K:g}K_err_cm2_s": D_target_err,
            f"sigma{target_K:g}K_S_cm": sigma, f"sigma{target_K:g}K_err_S_cm": sigma * D_target_err / D_target,
            "haven_ratio": haven_ratio, "n_li": n_li, "volume_A3": volume_A3,
            "Ea_leave_one_out": arrhenius.leave_one_out(T, D, err)}
