"""Every number the report cites, computed from ``summary.json`` — never typed by hand.

``variables(summary)`` gives the values for Quarto's ``{{< var key >}}`` (written to
``_variables.yml``); ``tables(summary)`` gives the report's tables as Markdown.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from analysis import arrhenius, plan
from analysis.core_repulsion import STRENGTH_EV
from analysis.data import AIMD_TEMPERATURE_K, N_ATOMS
from analysis.structure import P_S_BOND_CUTOFF_A
from analysis.training import EMA_DECAY, OPTIMISER

# Published values the report compares with (cited in the report's reference list).
# The first entry is the experiment notebook 6 compares with. Lepley & Holzwarth 2012: nudged-elastic-band barrier
# of one vacancy hop in crystalline Li7P3S11 (no defect formation energy, no conductivity).
LITERATURE = [
    {"source": "Experiment", "cite": "@seino2014", "Ea_eV": 0.18,
     "sigma300K_mS_cm": 17.0},
    {"source": "DFT barrier", "cite": "@lepley2012", "Ea_eV": 0.15,
     "sigma300K_mS_cm": None},
]


def sci(value: float | None, digits: int = 2) -> str:
    """``1.23 × 10^−5^`` (Pandoc/Quarto superscript) for a float; ``n/a`` for None/NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    exponent = int(math.floor(math.log10(abs(value))))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits - 1) >= 10:
        mantissa /= 10
        exponent += 1
    if exponent == 0:
        return f"{mantissa:.{digits - 1}f}"
    sign = "−" if exponent < 0 else ""
    return f"{mantissa:.{digits - 1}f} × 10^{sign}{abs(exponent)}^"


def lognormal_range(value: float, relative_err: float) -> tuple[float, float]:
    """1σ range of a log-normal quantity: value ÷ and × exp(σ of its logarithm)."""
    factor = math.exp(relative_err)
    return value / factor, value * factor


def _mS_cm(value: float) -> str:
    """A conductivity in mS/cm to two significant figures above 1 (its 1σ range spans a factor of ~2)."""
    return fixed(value, 1 if value < 10 else 0)


def _lognormal_ranges(a: dict) -> dict[str, str]:
    """1σ ranges of D0, D(300 K) (cm²/s) and σ(300 K) (mS/cm) from the Arrhenius fit ``a``: they are log-normal
    (their logarithms are what the fit determines), so a range says more than ± an error larger than the value."""
    v = {}
    for key, value, rel in (("D0", a["D0_cm2_s"], a.get("lnD0_err", a["D0_err_cm2_s"] / a["D0_cm2_s"])),
                            ("D300", a["D300K_cm2_s"], a["D300K_err_cm2_s"] / a["D300K_cm2_s"]),
                            ("sigma300", a["sigma300K_S_cm"] * 1000, a["sigma300K_err_S_cm"] / a["sigma300K_S_cm"])):
        fmt = _mS_cm if key == "sigma300" else sci
        v[f"{key}_lo"], v[f"{key}_hi"] = map(fmt, lognormal_range(value, rel))
    return v


def fixed(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}".replace("-", "−")


def signed(value: float, digits: int = 1) -> str:
    """A value with its sign always shown and a true minus: ``+0.36``, ``−0.19``."""
    return f"{value:+.{digits}f}".replace("-", "−")


def percent(fraction: float | None) -> str:
    """A fraction as a percentage for a table: whole percent from 1 %, one significant digit below, so that a
    rare event (1 frame in 1600: "0.06") does not read as none ("0" only for exactly none)."""
    if fraction is None or not math.isfinite(fraction):
        return "n/a"
    value = 100 * fraction
    if value == 0 or value >= 1:
        return fixed(value, 0)
    return f"{value:.1g}"


def _temperatures(values) -> str:
    """Distinct whole numbers (temperatures in K, counts of runs) in words: "400", "560 and 600", "1, 2 and 3"."""
    values = sorted({int(round(v)) for v in values})
    return ", ".join(str(v) for v in values[:-1]) + (" and " if len(values) > 1 else "") + str(values[-1])


def variables(summary: dict) -> dict:
    """Flat mapping key -> formatted string for the report text."""
    v: dict[str, str] = {}
    d = summary.get("dataset", {})
    if d:
        v.update(n_configs=str(d["n_configs"]), n_train=str(d["n_train"]), n_test=str(d["n_test"]),
                 dataset_sha256_short=d["sha256"][:12], energy_std_meV=fixed(d["energy_per_atom_std_meV"], 2),
                 force_rms_eV_A=fixed(d["force_rms_eV_A"], 2), volume_A3=fixed(d["volume_A3"], 0))
    m = summary.get("model", {})
    if m:
        h = m["hyperparameters"]
        v.update(
            force_rmse=fixed(m["test_force_rmse_meV_per_A"]), force_mae=fixed(m["test_force_mae_meV_per_A"]),
            energy_rmse=fixed(m["test_energy_rmse_meV_per_atom"], 2),
            energy_mae=fixed(m["test_energy_mae_meV_per_atom"], 2),
            baseline_energy_rmse=fixed(m["baseline_energy_rmse_meV_per_atom"], 2),
            baseline_force_rms=fixed(m["baseline_force_rmse_meV_per_A"], 0),
            force_rmse_Li=fixed(m["test_force_rmse_Li_meV_per_A"]), force_rmse_P=fixed(m["test_force_rmse_P_meV_per_A"]),
            force_rmse_S=fixed(m["test_force_rmse_S_meV_per_A"]),
            channels=str(h["num_channels"]), max_L=str(h["max_L"]), r_max=fixed(h["r_max_A"]),
            max_ell=str(h["max_ell"]), correlation=str(h["correlation"]), epochs=str(h["max_epochs"]),
            train_minutes=fixed(m["train_wall_time_s"] / 60, 0), model_n_train=str(m["n_train"]),
            force_relative=fixed(100 * m["test_force_rmse_meV_per_A"] / m["baseline_force_rmse_meV_per_A"], 1),
        )
    lc = summary.get("learning_curve", [])
    if lc:
        f = summary["learning_curve_fit"]["test_force_rmse_meV_per_A"]
        e = summary["learning_curve_fit"]["test_energy_rmse_meV_per_atom"]
        sizes = sorted({r["n_train"] for r in lc})
        seeds = sorted({r["seed"] for r in lc})
        largest = [r["test_force_rmse_meV_per_A"] for r in lc if r["n_train"] == sizes[-1]]
        v.update(lc_force_slope=fixed(f["slope"], 2), lc_force_slope_err=fixed(f["slope_err"], 2),
                 lc_energy_slope=fixed(e["slope"], 2), lc_energy_slope_err=fixed(e["slope_err"], 2),
                 lc_n_min=str(sizes[0]), lc_n_max=str(sizes[-1]), lc_n_sizes=str(len(sizes)),
                 lc_n_seeds=str(len(seeds)), lc_n_runs=str(len(lc)),
                 lc_tenfold_factor=fixed(10 ** f["slope"], 2),
                 lc_force_at_max=fixed(float(np.mean(largest)), 0),
                 lc_force_means=", ".join(
                     fixed(float(np.mean([r["test_force_rmse_meV_per_A"] for r in lc if r["n_train"] == n])), 0)
                     for n in sizes),
                 lc_sizes=", ".join(str(n) for n in sizes),
                 lc_arch=str(lc[0].get("architecture") or "n/a"),
                 lc_epochs_at_max=str(next((r.get("max_epochs") for r in lc if r["n_train"] == sizes[-1]), None) or "n/a"),
                 lc_force_tenfold=fixed(float(np.mean(largest)) * 10 ** f["slope"], 0))
        v.update(_pretrained_curve_values(lc, summary.get("learning_curve_pretrained") or []))
    runs = summary.get("diffusion", [])
    if runs:
        slowest = min(runs, key=lambda r: r["rms_displacement_at_fit_end_A"])
        # a run too short for a log-log slope beyond the fit start has none (NaN, null in JSON)
        exponents = [r["msd_exponent"] for r in runs if r.get("msd_exponent") is not None]
        v.update(md_temperatures=_temperatures(r["temperature_K"] for r in runs), md_n_runs=str(len(runs)),
                 md_n_temperatures=str(len({r["temperature_K"] for r in runs})),
                 md_production_ps=_span([r["production_ps"] for r in runs]),  # "100" or, extended runs, "40–640"
                 md_total_ns=fixed(sum(r["production_ps"] for r in runs) / 1000, 2),
                 md_min_distance=fixed(min(r["min_distance_A"] for r in runs), 2),
                 md_fit_start_ps=fixed(min(r["fit_start_ps"] for r in runs), 1),
                 md_min_intact_ps=fixed(summary.get("diffusion_min_intact_ps"), 0),
                 md_msd_exponent_min=fixed(min(exponents, default=None), 2),
                 md_msd_exponent_max=fixed(max(exponents, default=None), 2),
                 md_n_excluded=str(len(summary.get("diffusion_excluded", []))),
                 md_timestep_fs=fixed(runs[0]["timestep_fs"], 1),
                 md_equil_ps=fixed(min(r.get("equilibration_ps", math.nan) for r in runs), 0),
                 md_thermostat_fs=fixed(runs[0].get("thermostat_time_fs"), 0),
                 md_fit_end_ps=fixed(min(r["fit_end_ps"] for r in runs), 0),
                 md_fit_end_max_ps=fixed(max(r["fit_end_ps"] for r in runs), 0),
                 md_rms_disp_min=fixed(slowest["rms_displacement_at_fit_end_A"], 1),
                 md_rms_disp_min_T=fixed(slowest["temperature_K"], 0),
                 **_broken_values(runs),
                 md_steps_per_s=fixed(float(np.median([r["steps_per_s"] for r in runs])), 1),
                 md_ns_per_day=fixed(float(np.median([r["steps_per_s"] * r["timestep_fs"] for r in runs])) * 86400e-6, 2))
    v.update(_stability_values(summary))
    a = summary.get("arrhenius")
    if a:
        v.update(Ea=fixed(a["Ea_eV"], 3), Ea_err=fixed(a["Ea_err_eV"], 3), D0=sci(a["D0_cm2_s"]),
                 D0_err=sci(a["D0_err_cm2_s"]), D300=sci(a["D300K_cm2_s"]), D300_err=sci(a["D300K_err_cm2_s"]),
                 sigma300_mS_cm=_mS_cm(a["sigma300K_S_cm"] * 1000),
                 sigma300_err_mS_cm=fixed(a["sigma300K_err_S_cm"] * 1000, 2),
                 arrhenius_chi2=fixed(a["chi2_red"], 2), haven_ratio=fixed(a["haven_ratio"], 1),
                 T_min=fixed(a["T_range_K"][0], 0), T_max=fixed(a["T_range_K"][1], 0),
                 n_li=str(a["n_li"]))
        v.update(_lognormal_ranges(a))
        loo = a.get("Ea_leave_one_out") or []
        v.update(Ea_loo_min=fixed(min((r["Ea_eV"] for r in loo), default=None), 2),
                 Ea_loo_max=fixed(max((r["Ea_eV"] for r in loo), default=None), 2))
    v.update(_room_temperature_values(summary))
    for item in LITERATURE:
        key = item["cite"].lstrip("@")
        v[f"lit_{key}_Ea"] = fixed(item["Ea_eV"], 2)
        v[f"lit_{key}_sigma"] = fixed(item["sigma300K_mS_cm"], 0)
    v.update(benchmark_values(summary.get("benchmarks", {}), runs))
    v.update(_committee_values(summary.get("committee")))
    v.update(_seed_values(summary))
    v.update(_long_run_values(summary.get("diffusion") or []))
    v["ps_cutoff"] = fixed(P_S_BOND_CUTOFF_A, 1)
    v["host_cpus"] = str(summary.get("provenance", {}).get("host_cpus", "n/a"))
    v["data_T"] = fixed(AIMD_TEMPERATURE_K, 0)
    v.update(n_atoms=str(N_ATOMS), n_force_components=str(3 * N_ATOMS))
    v.update(_architecture_values(summary.get("architecture"),
                                  summary.get("model", {}).get("hyperparameters", {}).get("architecture")))
    per_T = [r for r in summary.get("diffusion_per_temperature", []) if r["n_runs"] > 1]
    v["md_between_runs_chi2_max"] = fixed(max(r["chi2_red"] for r in per_T), 1) if per_T else "n/a"
    v.update(_pretraining_values(summary.get("pretraining"), m.get("source_run")))
    v.update(_fine_tuned_values(summary))
    events = (summary.get("committee") or {}).get("production_events") or []
    fine_tuned = bool((m or {}).get("hyperparameters", {}).get("foundation_model"))
    v.update(_ps4_dft_values((summary.get("stability") or {}).get("ps4_dft"), {e["run_name"] for e in events},
                             fine_tuned))
    broken_T = [e["temperature_K"] for e in events if (e.get("broken_PS4_fraction") or 0) > 0]
    v["md_broken_T_min"] = fixed(min(broken_T), 0) if broken_T else "n/a"  # lowest T with a broken PS4 unit in any run
    hot = [e for e in events if broken_T and e["temperature_K"] >= min(broken_T)]  # the runs from that T on
    v.update(_broken_sentences(v["md_broken_T_min"], v["md_selected_T"], v["md_selected_kept"], v["md_selected_runs"],
                               n_broken=len(broken_T), n_hot=len(hot)))
    rule = summary.get("diffusion_convergence") or {}
    v.update(conv_min_msd=fixed(rule.get("min_msd_A2"), 0), conv_min_ratio=fixed(rule.get("min_slope_ratio"), 1),
             conv_max_pull=fixed(rule.get("max_halves_pull"), 0), conv_max_grid=fixed(rule.get("max_grid_pull"), 0),
             conv_applied=("runs that fail it are left out" if rule.get("enforce") else
                           "reported only: this series was made before the rule"))
    judged = [r for r in summary.get("diffusion_per_temperature") or [] if r.get("n_converged") is not None]
    v.update(conv_n_pass=str(sum(r["n_converged"] for r in judged)) if judged else "n/a",
             conv_n_runs=str(sum(r["n_runs"] for r in judged)) if judged else "n/a")
    v.update(_how_far_values(runs, judged, (summary.get("diffusion_left_out") or {}).get("per_temperature") or []))
    v.update(haven_values(summary.get("diffusion_conductivity")))
    v.update(experiment_gap_values(summary.get("arrhenius")))
    v["finite_size_sentence"] = finite_size_sentence(summary)
    v.update(_non_monotonic_values(summary.get("diffusion_per_temperature") or []))
    v.update(previous_values(summary.get("arrhenius"), summary.get("diffusion_previous"), previous_made_with(summary)))
    return v


HOP_A = 2.75  # Å, the middle of the 2.5-3 Å between neighbouring Li sites that the report quotes


def _how_far_values(md_runs: list[dict], judged: list[dict], left_out: list[dict]) -> dict[str, str]:
    """How far a Li moves at the coldest fitted temperature, read against a hop between sites (``hop_reading``:
    MSD / HOP_A², the hops per Li of uncorrelated hops), and how many runs pass the convergence rule
    (``conv_sentence``: of the fitted temperatures, ``judged``, and those it left out, ``left_out``; both per
    temperature with ``n_runs`` and ``n_converged``)."""
    v = {"hop_reading": "n/a", "conv_sentence": "n/a"}
    if md_runs:
        hops = min(r["rms_displacement_at_fit_end_A"] for r in md_runs) ** 2 / HOP_A ** 2
        v["hop_reading"] = ("less than one hop between sites (2.5–3 Å apart), so D there counts few events"
                            if hops < 1 else f"about {hops:.0f} hops between sites 2.5–3 Å apart")
    if judged:
        n_pass, n_runs = sum(r["n_converged"] for r in judged), sum(r["n_runs"] for r in judged)
        v["conv_sentence"] = (f"all {n_runs} fitted runs pass the convergence rule" if n_pass == n_runs else
                              f"{'only ' if 2 * n_pass < n_runs else ''}{n_pass} of {n_runs} runs pass the convergence "
                              "rule")
        if left_out:
            v["conv_sentence"] += (f", none of the {sum(r['n_runs'] for r in left_out)} at "
                                   f"{_temperatures(r['temperature_K'] for r in left_out)} K yet (left out)")
    return v


def haven_values(conductivity: list[dict] | None) -> dict[str, str]:
    """The measured Haven ratios (``temperature_series.direct_conductivity``): their range over the temperatures
    (``haven_lo``, ``haven_hi``), the median relative error in % (``haven_rel_err``) and how many of the
    ``haven_n`` temperatures lie below 1 by more than their error (``haven_n_below``)."""
    rows = [c for c in conductivity or [] if c.get("haven_ratio") is not None and math.isfinite(c["haven_ratio"])]
    if not rows:
        return dict.fromkeys(("haven_lo", "haven_hi", "haven_rel_err", "haven_n", "haven_n_below"), "n/a")
    h = [c["haven_ratio"] for c in rows]
    return {"haven_lo": fixed(min(h), 2), "haven_hi": fixed(max(h), 2),
            "haven_rel_err": fixed(100 * float(np.median([c["haven_ratio_err"] / c["haven_ratio"] for c in rows])), 0),
            "haven_n": str(len(rows)),
            "haven_n_below": str(sum(c["haven_ratio"] + c["haven_ratio_err"] < 1 for c in rows))}


def experiment_gap_values(a: dict | None, target_K: float = 300.0) -> dict[str, str]:
    """How far the computed room-temperature values lie from experiment (``LITERATURE[0]``).

    ``sigma_ratio``: computed over measured σ at ``target_K``; ``Ea_gap_meV``: |ΔEa| in meV, with ``Ea_gap_side``
    "below" or "above" (this work against experiment) and ``Ea_gap_comparative`` "lower" or "higher";
    ``Ea_gap_effect``: what that difference alone does to D at ``target_K``, exp(ΔEa / kB T) read as "N times
    larger" or "N times smaller"; ``sigma_rest``: the factor in σ it leaves, ``sigma_ratio`` over exp(ΔEa / kB T);
    ``sigma_conducts``: "better" or "worse" (the computed σ against the measured one). ``dft_gap_meV`` and
    ``dft_gap_side``: the same barrier comparison with the DFT vacancy-hop barrier (``LITERATURE[1]``)."""
    from analysis.arrhenius import KB_EV_PER_K

    keys = ("sigma_ratio", "Ea_gap_meV", "Ea_gap_side", "Ea_gap_comparative", "Ea_gap_effect", "sigma_rest",
            "sigma_conducts", "dft_gap_meV", "dft_gap_side")
    v = dict.fromkeys(keys, "n/a")
    experiment = LITERATURE[0]
    if not a:
        return v
    gap_eV = experiment["Ea_eV"] - a["Ea_eV"]  # > 0: our barrier is lower, so our D is larger
    factor = math.exp(gap_eV / (KB_EV_PER_K * target_K))
    ratio = a[f"sigma{target_K:g}K_S_cm"] * 1000 / experiment["sigma300K_mS_cm"]
    v.update(sigma_ratio=fixed(ratio, 1), Ea_gap_meV=fixed(1000 * abs(gap_eV), 0),
             Ea_gap_side="below" if gap_eV >= 0 else "above", Ea_gap_comparative="lower" if gap_eV >= 0 else "higher",
             Ea_gap_effect=f"{fixed(factor, 1)} times larger" if factor >= 1 else f"{fixed(1 / factor, 1)} times smaller",
             sigma_rest=fixed(ratio / factor, 1), sigma_conducts="better" if ratio >= 1 else "worse")
    dft_gap_eV = LITERATURE[1]["Ea_eV"] - a["Ea_eV"]
    v.update(dft_gap_meV=fixed(1000 * abs(dft_gap_eV), 0), dft_gap_side="below" if dft_gap_eV >= 0 else "above")
    return v


def finite_size_sentence(summary: dict) -> str:
    """What the report's limitations say of the cell size: the supercell runs' D against the 83-atom D
    (``diffusion_pending["finite_size"]``: the ratio with its error and the pull, |pull| < 2 reading as no size effect
    resolved) once a supercell run has finished a piece; "still running" while the
    plan declares a pending supercell set without any; "no larger cell was run" otherwise."""
    rows = (summary.get("diffusion_pending") or {}).get("finite_size") or []
    sets = [s for s in summary.get("diffusion_plan_sets") or [] if (s.get("supercell") or 1) > 1]
    if not rows:
        if not any(s.get("role") == "pending" for s in sets):
            return "no larger cell was run."
        n = max(s["supercell"] for s in sets)
        return f"a {n}×{n}×{n} cell ({n ** 3 * N_ATOMS} atoms), the finite-size check, is still running."
    parts = []
    for r in rows:
        n = r["supercell"]
        cell = (f"a {n}×{n}×{n} cell ({r['n_atoms']} atoms, {r['n_runs_supercell']} "
                f"run{'s' if r['n_runs_supercell'] != 1 else ''}) at {r['temperature_K']:g} K gives ")
        if r.get("ratio") is not None:
            reading = "no size effect resolved" if abs(r["pull"]) < 2 else "a size effect"
            parts.append(cell + f"{fixed(r['ratio'], 2)} ± {fixed(r['ratio_err'], 2)} times the {N_ATOMS}-atom D "
                                f"({fixed(abs(r['pull']), 1)} σ: {reading})")
        else:
            parts.append(cell + f"D = {sci(r['D_supercell_cm2_s'])} ± {sci(r['D_supercell_err_cm2_s'])} cm²/s "
                                f"(no {N_ATOMS}-atom run at that temperature to compare)")
    return "; ".join(parts) + "."


def _non_monotonic_values(per_T: list[dict]) -> dict[str, str]:
    """The first pair of neighbouring temperatures where D falls as T rises (``nonmono_T_low`` < ``nonmono_T_high``),
    how many runs each rests on, and how many combined standard deviations of ln D separate them
    (``nonmono_pull``); ``nonmono_sentence`` is empty when D rises with T everywhere."""
    keys = ("nonmono_T_low", "nonmono_T_high", "nonmono_pull", "nonmono_runs_low", "nonmono_runs_high")
    v = {**dict.fromkeys(keys, "n/a"), "nonmono_sentence": ""}
    rows = sorted(per_T, key=lambda r: r["temperature_K"])
    for low, high in zip(rows, rows[1:]):
        if high["D_cm2_s"] < low["D_cm2_s"]:
            sigma = math.hypot(low["D_err_cm2_s"] / low["D_cm2_s"], high["D_err_cm2_s"] / high["D_cm2_s"])
            v.update(nonmono_T_low=fixed(low["temperature_K"], 0), nonmono_T_high=fixed(high["temperature_K"], 0),
                     nonmono_pull=fixed(math.log(low["D_cm2_s"] / high["D_cm2_s"]) / sigma, 1),
                     nonmono_runs_low=str(low["n_runs"]), nonmono_runs_high=str(high["n_runs"]))
            v["nonmono_sentence"] = (
                f" D({v['nonmono_T_high']} K) lies below D({v['nonmono_T_low']} K), by {v['nonmono_pull']} combined "
                f"standard deviations, with {v['nonmono_T_high']} K resting on {v['nonmono_runs_high']} "
                f"run{'s' if high['n_runs'] > 1 else ''}: "
                "consistent with D rising with T, not a sign of a slower phase.")
            break
    return v


PS4_READINGS = {  # the report's words for ps4_dft.reading's categories
    "agrees": "within its uncertainty, so at the PBE level the breaking is not an artefact of the model",
    "too low": "it makes breaking too cheap, an artefact",
    "too high": "it makes breaking too costly, so PBE would break PS~4~ units at least as readily",
}


def _ps4_dft_values(ps4: dict | None, production_runs: set[str] = frozenset(),
                    fine_tuned: bool = False) -> dict[str, str]:
    """DFT on broken and intact PS4 frames (notebook 7, ``analysis.ps4_dft``): frames, Δ from DFT and the model
    (inverse-variance means over runs, eV per cell), the model's error on Δ and its reading; ``ps4_source``: whose
    runs the frames come from ("the from-scratch model's runs" when the production model is fine-tuned and none of
    them is among ``production_runs``, its own; the production model computes Δ on them either way)."""
    from analysis import ps4_dft

    keys = ("ps4_n_broken", "ps4_n_intact", "ps4_T", "ps4_delta_dft", "ps4_delta_dft_err", "ps4_delta_model", "ps4_model_error",
            "ps4_model_error_err", "ps4_reading", "ps4_source")
    v = {k: "n/a" for k in keys}
    complete = [r for r in (ps4 or {}).get("per_run", []) if "delta_dft_eV" in r]
    reading = ps4_dft.reading(complete)
    if not complete or reading is None:
        return v
    temperature = {r["run"]: r["run"].split("-T")[1].split("-")[0] for r in complete}

    def mean(code: str, which: int = 0) -> float:  # which: 0 the mean, 1 its standard error
        return ps4_dft.weighted_mean([r[f"delta_{code}_eV"] for r in complete],
                                     [r[f"delta_{code}_err_eV"] for r in complete])[which]

    v.update(ps4_n_broken=str(sum(r["n_broken"] for r in complete)),
             ps4_n_intact=str(sum(r["n_intact"] for r in complete)),
             ps4_T=" and ".join(dict.fromkeys(temperature.values())),
             ps4_delta_dft=fixed(mean("dft"), 2), ps4_delta_dft_err=fixed(mean("dft", 1), 2), ps4_delta_model=fixed(mean("model"), 2),
             ps4_model_error=signed(reading["model_error_eV"], 2), ps4_model_error_err=fixed(reading["model_error_err_eV"], 2),
             ps4_reading=PS4_READINGS[reading["category"]],
             ps4_source="the from-scratch model's runs" if fine_tuned and not {r["run"] for r in complete} & set(production_runs)
             else "runs")
    return v


def _pretrained_curve_values(scratch: list[dict], pretrained: list[dict]) -> dict[str, str]:
    """The learning curve fine-tuned from the pre-trained model against from scratch: its seeds (``lc_pt_n_seeds``)
    and the change of the mean test force RMSE (percent, pre-trained / scratch − 1) at the smallest and the largest
    training-set size both curves have (``lc_pt_change_first``, ``lc_pt_change_last`` at ``lc_pt_n_first``/``_last``)."""
    keys = ("lc_pt_n_seeds", "lc_pt_change_first", "lc_pt_change_last", "lc_pt_n_first", "lc_pt_n_last")
    sizes = sorted({r["n_train"] for r in pretrained} & {r["n_train"] for r in scratch})
    if not sizes:
        return dict.fromkeys(keys, "n/a")

    def change(n: int) -> str:
        mean = [float(np.mean([r["test_force_rmse_meV_per_A"] for r in rows if r["n_train"] == n]))
                for rows in (pretrained, scratch)]
        return fixed(100 * (mean[0] / mean[1] - 1), 0)

    return {"lc_pt_n_seeds": str(len({r["seed"] for r in pretrained})), "lc_pt_change_first": change(sizes[0]),
            "lc_pt_change_last": change(sizes[-1]), "lc_pt_n_first": str(sizes[0]), "lc_pt_n_last": str(sizes[-1])}


def _pretraining_values(pt: dict | None, production_run: str | None = None) -> dict[str, str]:
    """Synthetic pre-training (notebook 9): the set, the change of force error per candidate, failed plain screens
    from scratch and fine-tuned, and the decision (the side-by-side numbers: ``pretraining_table``), which says
    whether the production model (``production_run``, the MD's) is the adopted one or predates it."""
    keys = ("pt_n", "pt_n_md", "pt_teacher", "pt_archs", "pt_change", "pt_change_range", "pt_n_candidates",
            "pt_decision", "pt_scratch_failed", "pt_ft_failed")
    v = {k: "n/a" for k in keys}
    if not pt:
        return v
    rows = pt["table"]
    names = list(dict.fromkeys(r["candidate"] for r in rows))
    by = {(r["candidate"], r["kind"]): r for r in rows}
    names = [a for a in names if (a, "scratch") in by]
    scratch = [by[(a, "scratch")]["test_force_rmse_meV_per_A"] for a in names]
    ft = [by[(a, "fine-tuned")]["test_force_rmse_meV_per_A"] for a in names]
    decision = pt["decision"]
    v.update(pt_n=str(pt["synthetic_set"]["n_configurations"]), pt_n_md=str(pt["synthetic_set"]["n_md"]),
             pt_teacher=pt["synthetic_set"]["teacher"]["teacher"].split(" (")[0], pt_archs=", ".join(names),
             pt_change=", ".join(signed(100 * (f / s - 1), 0) for s, f in zip(scratch, ft)),
             pt_change_range=_range_text([100 * (f / s - 1) for s, f in zip(scratch, ft)]),
             pt_n_candidates=_count_word(len(names)),
             pt_decision=("keeps the production model" if not decision["adopted"] else
                          f"adopts the fine-tuned {_candidate_of(decision, decision['adopted'])}"
                          + (", the model of the MD below" if decision["adopted"] == production_run
                             else "; the MD below predates it")),
             pt_scratch_failed=_failed_of(r for r in rows if r["kind"] == "scratch"),
             pt_ft_failed=_failed_of(r for r in rows if r["kind"] == "fine-tuned"))
    return v


def _range_text(values: list[float]) -> str:
    """``−26 to −13`` (rounded, signed), or one value when all round alike."""
    low, high = (signed(x, 0) for x in (min(values), max(values)))
    return low if low == high else f"{low} to {high}"


def _span(values: list[float], digits: int = 0) -> str:
    """``40–640`` from the smallest to the largest value, or one value when all round alike."""
    low, high = fixed(min(values), digits), fixed(max(values), digits)
    return low if low == high else f"{low}–{high}"


def _count_word(n: int) -> str:
    return ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][n] if n < 10 else str(n)


def _candidate_of(decision: dict, run_name: str) -> str:
    return next((v.get("candidate", v["architecture"]) for v in decision["verdicts"] if v["run_name"] == run_name),
                run_name)


def _failed_of(rows) -> str:
    """"k of n": failed plain screens of these table rows, each model's screens counted once."""
    seen = {r["run_name"]: r for r in rows if r.get("n_screens")}
    return f"{sum(int(r.get('n_failed') or 0) for r in seen.values())} of {sum(int(r['n_screens']) for r in seen.values())}"


def _architecture_values(candidates: list[dict] | None, production: str | None) -> dict[str, str]:
    """The accuracy–speed comparison: the production architecture and the fastest one against the first
    (reference) candidate, as speed and force-error ratios."""
    keys = ("arch_n", "arch_ref", "arch_prod_speed_ratio", "arch_prod_error_ratio", "arch_fastest",
            "arch_fastest_speed_ratio", "arch_fastest_error_ratio")
    v: dict[str, str] = dict.fromkeys(keys, "n/a")
    if not candidates:
        return v
    ref = candidates[0]
    fastest = max(candidates, key=lambda r: r["ns_per_day_per_core"])

    def ratios(r):
        return (fixed(r["ns_per_day_per_core"] / ref["ns_per_day_per_core"], 2),
                fixed(r["test_force_rmse_meV_per_A"] / ref["test_force_rmse_meV_per_A"], 2))

    v.update(arch_n=str(len(candidates)), arch_ref=ref["architecture"], arch_fastest=fastest["architecture"])
    v["arch_fastest_speed_ratio"], v["arch_fastest_error_ratio"] = ratios(fastest)
    prod = next((r for r in candidates if r["architecture"] == production), None)
    if prod:
        v["arch_prod_speed_ratio"], v["arch_prod_error_ratio"] = ratios(prod)
    return v


def _committee_values(c: dict | None) -> dict[str, str]:
    """The committee monitor: its trained-region limit, the largest disagreement in the runs kept and in those
    excluded (meV/Å), and how often a P had lost an S neighbour (percent of sampled frames)."""
    keys = ("committee_n", "committee_test_p95", "committee_limit", "committee_limit_factor", "committee_max_used",
            "committee_failed_max", "committee_broken_used", "committee_broken_excluded", "committee_arch",
            "committee_epochs", "events_runs", "events_stopped", "events_clean")
    v: dict[str, str] = dict.fromkeys(keys, "n/a")
    if not c or not c.get("per_run"):
        return v
    per_T = c.get("production_event_table") or []
    if per_T:  # every production-protocol run: stopped by the distance monitor, or with no event at all
        v.update(events_runs=str(sum(r["n_runs"] for r in per_T)), events_stopped=str(sum(r["n_stopped"] for r in per_T)),
                 events_clean=str(sum(r["n_without_event"] for r in per_T)))
    kept = [r for r in c["per_run"] if not r["left_trained_region"]]
    left = [r for r in c["per_run"] if r["left_trained_region"]]
    v.update(committee_n=str(len(c["members"])), committee_test_p95=fixed(c["test_sigma_eV_A"]["p95"] * 1000, 0),
             committee_limit=fixed(c["limit_eV_A"] * 1000, 0), committee_limit_factor=f"{c['limit_factor']:g}")
    named = re.match(r"train-(.+)-n\d+-seed\d+-ep(\d+)", Path(c["members"][0]).parent.name)
    if named:
        v.update(committee_arch=named.group(1), committee_epochs=named.group(2))
    if kept:
        v["committee_max_used"] = fixed(max(r["sigma_max_eV_A"] for r in kept) * 1000, 0)
        v["committee_broken_used"] = fixed(100 * max(r["fraction_frames_P_S_broken"] for r in kept), 0)
    failed = [b["sigma_last_2ps_max_eV_A"] for b in c.get("before_failure") or []] + [r["sigma_max_eV_A"] for r in left]
    if failed:
        v["committee_failed_max"] = fixed(max(failed) * 1000, 0)
    if left:
        v["committee_broken_excluded"] = fixed(100 * max(r["fraction_frames_P_S_broken"] for r in left), 0)
    return v


def _seed_values(summary: dict) -> dict[str, str]:
    """The plan's MD sets as recorded with each run of the diffusion analysis (``set``, ``role``): velocity seeds
    per temperature in the first fit set, the series (``md_seeds_base``); the further fit sets with their
    temperatures, each added by a rule of the plan (``md_sets_added``); runs made outside the plan
    (``md_outside``, never in the fit); and the temperatures where half of the fit runs or more were left out,
    whose D rests on the runs that stayed usable (``md_selected_*``; a run left out only because it has not
    converged stayed usable)."""
    v = {"md_seeds_base": "n/a", "md_sets_added": "no further runs", "md_outside": "none", "md_outside_sentence": "",
         "md_selected_T": "none", "md_selected_kept": "n/a", "md_selected_runs": "n/a"}
    used = summary.get("diffusion") or []
    every = used + (summary.get("diffusion_excluded") or [])
    sets = summary.get("diffusion_plan_sets") or []
    if not sets or not used:
        return v  # results made before the plan recorded roles
    fit_sets = [s for s in sets if s["role"] == "fit"]
    series = [r for r in every if r.get("set") == fit_sets[0]["set"]]
    per_T = [sum(1 for r in series if r["temperature_K"] == T) for T in {r["temperature_K"] for r in series}]
    v["md_seeds_base"] = str(min(per_T)) if per_T else "n/a"
    temperatures = {s["set"]: _temperatures({r["temperature_K"] for r in every if r.get("set") == s["set"]}) + " K"
                    for s in fit_sets[1:]}
    added = [name if T in name else f"{name} ({T})" for name, T in temperatures.items()]  # "300 K direct" as it is
    if added:
        v["md_sets_added"] = added[0] if len(added) == 1 else ", ".join(added[:-1]) + " and " + added[-1]
    outside = [r["run_name"] for r in every if r.get("role") == plan.OUTSIDE]
    if outside:
        v["md_outside"] = ", ".join(outside)
        v["md_outside_sentence"] = f" Runs made outside the plan are never fitted: {v['md_outside']}."
    fit = [r for r in every if r.get("role") == "fit"]
    kept = {r["run_name"] for r in used} | {r["run_name"] for r in every
                                             if str(r.get("reason", "")).startswith(plan.NOT_CONVERGED)}
    selected = sorted(T for T in {r["temperature_K"] for r in fit}
                      if 2 * sum(r["run_name"] in kept for r in fit if r["temperature_K"] == T)
                      <= sum(1 for r in fit if r["temperature_K"] == T))
    if selected:
        v.update(md_selected_T=_temperatures(selected),
                 md_selected_kept=str(sum(r["run_name"] in kept for r in fit if r["temperature_K"] in selected)),
                 md_selected_runs=str(sum(1 for r in fit if r["temperature_K"] in selected)))
    return v


def _broken_sentences(broken_T_min: str, selected_T: str, selected_kept: str, selected_runs: str,
                      n_broken: int = 0, n_hot: int = 0) -> dict[str, str]:
    """What the report says of broken PS4 units in the production model's runs (``md_broken_T_min``: the lowest
    temperature with one, "n/a" for none; ``n_broken`` of the ``n_hot`` runs from that temperature on broke one)
    and of temperatures where half the fit runs or more were left out: ``broken_abstract_sentence`` and
    ``broken_runs_sentence``, each with its leading space. The DFT data hold no broken unit; the synthetic
    pre-training set does (the teacher's labels), so the abstract names the DFT data."""
    if broken_T_min == "n/a":
        abstract, runs = " No run of the model broke a thiophosphate unit.", " No run broke a PS~4~ unit"
    else:
        abstract = f" From {broken_T_min} K on, the model breaks thiophosphate units, which the DFT data never show."
        runs = f" From {broken_T_min} K on, runs break PS~4~ units ({n_broken} of {n_hot} runs)" if n_hot else \
            f" From {broken_T_min} K on, runs break PS~4~ units"
    if selected_T != "none":
        runs += f"; at {selected_T} K only {selected_kept} of {selected_runs} runs stayed usable"
    return {"broken_abstract_sentence": abstract, "broken_runs_sentence": runs + "."}


def extrapolation_check(summary: dict, target_K: float = 300.0) -> dict | None:
    """D measured at the extrapolation target ``target_K`` (runs combined, cm²/s) against the Arrhenius law of the
    other temperatures, from a summary-like dict (``diffusion_per_temperature``, ``diffusion_left_out``,
    ``diffusion_pending``, ``arrhenius``). ``where``: "fit" (in the fit: compared with the fit without it, the
    leave-one-out entry), "left out" (the convergence rule left it out) or "pending" (its runs still being made in
    pieces, or made and not yet in the fit; ``made_ps``: the lengths of their last finished pieces,
    ``still_running``: whether any of them is still being doubled, ``temperature_series.still_running``); in the
    last two the fit holds no ``target_K`` and is compared itself. ``D_predicted_cm2_s`` (with its error, ``Ea_eV`` of that fit and the temperatures
    ``T_from_K``–``T_to_K`` it spans) and ``pull``, (ln D − ln D_predicted) over their combined σ, are None where no
    such fit exists. ``row``: the per-temperature entry it read. None when ``target_K`` was not measured."""
    at_target = lambda rows: next((r for r in rows or [] if r["temperature_K"] == target_K), None)  # noqa: E731
    pending = summary.get("diffusion_pending") or {}
    for where, row in (("fit", at_target(summary.get("diffusion_per_temperature"))),
                       ("left out", at_target((summary.get("diffusion_left_out") or {}).get("per_temperature"))),
                       ("pending", at_target(pending.get("per_temperature")))):
        if row:
            break
    else:
        return None
    cell_runs = [r for r in pending.get("per_run") or [] if r["temperature_K"] == target_K and (r.get("supercell") or 1) == 1]
    out = {"where": where, "row": row, "D_cm2_s": row["D_cm2_s"], "D_err_cm2_s": row["D_err_cm2_s"],
           "made_ps": sorted({r["production_ps"] for r in cell_runs}) if where == "pending" else None,
           "still_running": any(r.get("still_running") for r in cell_runs) if where == "pending" else None,
        "D_predicted_cm2_s": None, "D_predicted_err_cm2_s": None, "Ea_eV": None, "Ea_err_eV": None, "pull": None,
        "T_from_K": None, "T_to_K": None}
    a = summary.get("arrhenius") or {}
    held = next((r for r in a.get("Ea_leave_one_out") or [] if r["left_out_K"] == target_K), None)
    if where == "fit" and held:
        rest = sorted(r["left_out_K"] for r in a["Ea_leave_one_out"] if r["left_out_K"] != target_K)
        out.update(D_predicted_cm2_s=held["D_predicted_cm2_s"], D_predicted_err_cm2_s=held["D_predicted_err_cm2_s"],
                   Ea_eV=held["Ea_eV"], Ea_err_eV=held["Ea_err_eV"], pull=held["pull"], T_from_K=rest[0],
                   T_to_K=rest[-1])
    elif where != "fit" and a.get("cov_lnD0_Ea"):  # the fit is already without it: it predicts D there
        pred, pred_err = arrhenius.extrapolate(a, target_K)
        out.update(D_predicted_cm2_s=pred, D_predicted_err_cm2_s=pred_err, Ea_eV=a["Ea_eV"], Ea_err_eV=a["Ea_err_eV"],
                   pull=arrhenius.log_pull(row["D_cm2_s"], row["D_err_cm2_s"], pred, pred_err),
                   T_from_K=float(a["T_range_K"][0]), T_to_K=float(a["T_range_K"][-1]))
    return out


def _room_temperature_values(summary: dict, target_K: float = 300.0) -> dict[str, str]:
    """The report's words for ``extrapolation_check``: D measured at ``target_K`` (``D300_direct``, cm²/s) and the
    Arrhenius law without it (``Ea_heldout``, eV), which predicts D there (``D300_heldout`` with its log-normal 1σ
    range) from ``heldout_T_min``–``T_max`` K, extrapolating ``heldout_ratio`` times its fitted 1/T span;
    ``heldout_pull`` in combined σ, ``D300_direct_in_fit`` ("yes" where ``target_K`` is in the fit, which is then fitted
    again without it), ``heldout_clause`` (the sentence's start) and ``heldout_reading``: within 2σ the two agree."""
    keys = ("D300_direct", "D300_direct_err", "D300_heldout", "D300_heldout_lo", "D300_heldout_hi", "heldout_pull",
            "Ea_heldout", "Ea_heldout_err", "heldout_T_min", "heldout_ratio", "heldout_reading", "D300_direct_in_fit",
            "heldout_clause")
    v: dict[str, str] = dict.fromkeys(keys, "n/a")
    c = extrapolation_check(summary, target_K)
    if c is None:
        return v
    v.update(D300_direct=sci(c["D_cm2_s"]), D300_direct_err=sci(c["D_err_cm2_s"]),
             D300_direct_in_fit="yes" if c["where"] == "fit" else "no")
    if c["where"] == "left out":
        v["heldout_clause"] = f"The {target_K:g} K runs, left out, give"
    elif c["where"] == "pending":  # quoted with the lengths made so far (an unfinished piece counts at its last)
        made = c["made_ps"]
        span = f"{made[0]:g}" if len(made) == 1 else f"{made[0]:g}–{made[-1]:g}"
        v["heldout_clause"] = (f"The {target_K:g} K runs, still running ({span} ps so far), give" if c["still_running"]
                               else f"The {target_K:g} K runs ({span} ps), not in the fit, give")
    if c["pull"] is None:
        return v
    if c["where"] == "fit":
        v["heldout_clause"] = (f"Fitted without {target_K:g} K, the hotter temperatures predict "
                               f"D({target_K:g} K) = {sci(c['D_predicted_cm2_s'])} cm²/s; the {target_K:g} K runs give")
    lo, hi = lognormal_range(c["D_predicted_cm2_s"], c["D_predicted_err_cm2_s"] / c["D_predicted_cm2_s"])
    v.update(D300_heldout=sci(c["D_predicted_cm2_s"]), D300_heldout_lo=sci(lo), D300_heldout_hi=sci(hi),
             heldout_pull=fixed(round(c["pull"], 1) or 0.0, 1),  # 0.0, not "−0.0"
             Ea_heldout=fixed(c["Ea_eV"], 3), Ea_heldout_err=fixed(c["Ea_err_eV"], 3),
             heldout_T_min=fixed(c["T_from_K"], 0),
             heldout_ratio=fixed((1 / target_K - 1 / c["T_from_K"]) / (1 / c["T_from_K"] - 1 / c["T_to_K"]), 1),
             heldout_reading=("consistent, though from few hops" if abs(c["pull"]) <= 2.0 else
                              "beyond 2σ, so the extrapolation fails or the 300 K runs count too few hops"))
    return v


def previous_values(now: dict | None, previous: dict | None, made_with: str = "") -> dict[str, str]:
    """The series the fit replaced (``diffusion.json`` → ``previous``) against the fit ``now`` (both Arrhenius
    summaries): its Ea (eV) and D(300 K) (cm²/s), the change of Ea in meV and in combined standard deviations
    (``prev_Ea_pull``) and the ratio of D(300 K) now over before; ``previous_sentence`` says so, and how the old
    series was made (``made_with``, e.g. "the from-scratch model"; it was never held to the convergence rule), and
    is empty without one."""
    keys = ("prev_sets", "prev_n_runs", "prev_T_min", "prev_T_max", "prev_Ea", "prev_Ea_err", "prev_D300",
            "prev_Ea_change_meV", "prev_Ea_pull", "prev_D300_ratio")
    v = {**dict.fromkeys(keys, "n/a"), "previous_sentence": ""}
    a = (previous or {}).get("arrhenius")
    if not a or not now:
        return v
    change_eV = now["Ea_eV"] - a["Ea_eV"]
    sets = previous["sets"]
    v.update(prev_sets=" and ".join([", ".join(sets[:-1]), sets[-1]] if len(sets) > 1 else sets), prev_n_runs=str(previous["n_runs"]),
             prev_T_min=fixed(a["T_range_K"][0], 0), prev_T_max=fixed(a["T_range_K"][1], 0),
             prev_Ea=fixed(a["Ea_eV"], 3), prev_Ea_err=fixed(a["Ea_err_eV"], 3), prev_D300=sci(a["D300K_cm2_s"]),
             prev_Ea_change_meV=fixed(1000 * change_eV, 0),
             prev_Ea_pull=fixed(round(change_eV / math.hypot(now["Ea_err_eV"], a["Ea_err_eV"]), 1) or 0.0, 1),
             prev_D300_ratio=fixed(now["D300K_cm2_s"] / a["D300K_cm2_s"], 2))
    v["previous_sentence"] = (
        f" The series this fit replaced ({v['prev_n_runs']} runs at {v['prev_T_min']}–{v['prev_T_max']} K"
        f"{' with ' + made_with if made_with else ''}, not held to the convergence rule) gave Ea = {v['prev_Ea']} ± "
        f"{v['prev_Ea_err']} eV and D(300 K) = {v['prev_D300']} cm²/s; "
        f"the present fit moves Ea by {v['prev_Ea_change_meV']} meV ({v['prev_Ea_pull']} σ combined) "
        f"and D(300 K) by a factor {v['prev_D300_ratio']}.")
    return v


def _long_run_values(md_runs: list[dict]) -> dict[str, str]:
    """The runs longer than the series' length: temperatures, length, and how D over their first standard-length
    window differs from D over the whole run (``md_long_change``, percent, D_first / D − 1)."""
    long = sorted((r for r in md_runs if r.get("D_first_change") is not None), key=lambda r: r["temperature_K"])
    if not long:
        return {"md_long_T": "none", "md_long_ps": "n/a", "md_long_first_ps": "n/a", "md_long_change": "n/a",
                "md_long_err": "n/a"}
    return {"md_long_T": _temperatures(r["temperature_K"] for r in long),
            "md_long_ps": fixed(min(r["production_ps"] for r in long), 0),
            "md_long_first_ps": fixed(min(r["first_window_ps"] for r in long), 0),
            "md_long_change": " and ".join(signed(100 * r["D_first_change"], 0) for r in long),
            "md_long_err": fixed(100 * max(r["D_first_err_cm2_s"] / r["D_first_cm2_s"] for r in long), 0)}


def benchmark_values(bench: dict, md_runs: list[dict]) -> dict[str, str]:
    """MLIP vs DFT cost per force call (CPU seconds, one thread) and what 100 ps of AIMD would cost."""
    keys = ("bench_mlip_ms", "bench_dft_mode", "bench_dft_cpu_s", "bench_dft_scf", "bench_speedup",
            "bench_aimd_100ps_days", "bench_mlip_100ps_hours")
    v: dict[str, str] = dict.fromkeys(keys, "n/a")  # not measured (make bench BENCH=dft) reads as n/a
    dft = bench.get("dft") or {}
    lcao = [d for d in dft.get("dft", []) if d["mode"].startswith("LCAO")]  # the cheaper basis: a lower bound on AIMD's cost
    if lcao:
        d = lcao[0]
        mlip_s = dft["mlip_force_call"]["cpu_s"]
        v.update(bench_mlip_ms=fixed(mlip_s * 1000, 0), bench_dft_mode=d["mode"], bench_dft_cpu_s=fixed(d["cpu_s"], 0),
                 bench_dft_scf=str(d["scf_iterations"]), bench_speedup=f"{d['cpu_s'] / mlip_s:,.0f}")
        timestep_fs = md_runs[0]["timestep_fs"] if md_runs else 2.0
        steps = 100e3 / timestep_fs
        v["bench_aimd_100ps_days"] = fixed(steps * d["cpu_s"] / 86400, 0)
        v["bench_mlip_100ps_hours"] = fixed(steps * mlip_s / 3600, 1)
    return v


def _broken_values(md_runs: list[dict]) -> dict[str, str]:
    """How often the model broke a PS4 unit in the runs analysed (percent of frames; those runs are analysed over
    their longest intact stretch), and how much D would change with all frames (largest relative change, percent)."""
    v = dict.fromkeys(("md_broken_max", "md_broken_T", "md_broken_n_runs", "md_full_D_change_max"), "n/a")
    if md_runs and all("broken_PS4_fraction" in r for r in md_runs):
        worst = max(md_runs, key=lambda r: r["broken_PS4_fraction"] or 0.0)
        v.update(md_broken_max=fixed(100 * (worst["broken_PS4_fraction"] or 0.0), 0),
                 md_broken_T=fixed(worst["temperature_K"], 0),
                 md_broken_n_runs=str(sum((r["broken_PS4_fraction"] or 0.0) > 0 for r in md_runs)))
        changes = [abs(r["D_full_cm2_s"] / r["D_cm2_s"] - 1) for r in md_runs if r.get("D_full_cm2_s")]
        v["md_full_D_change_max"] = fixed(100 * max(changes), 0) if changes else "0"
    return v


def _second_screen_values(rows: list[dict]) -> dict[str, str]:
    """The second stability screen (candidates screened at some temperatures only): how many, where, which
    candidates survived every run (labels without the ``train-`` prefix and the run details)."""
    v = dict.fromkeys(("stab2_n", "stab2_temps", "stab2_runs", "stab2_failed", "stab2_survivors", "stab2_best",
                       "stab2_best_failed", "stab2_best_runs"), "n/a")
    if rows:
        models = sorted({r["model"] for r in rows})
        label = lambda m: re.sub(r"^train-|-n\d+-seed\d+-ep\d+(-s2)?", "", m)  # noqa: E731
        survivors = [label(m) for m in models if all(r["n_failed"] == 0 for r in rows if r["model"] == m)]
        v.update(stab2_n=str(len(models)), stab2_temps=_temperatures(r["temperature_K"] for r in rows),
                 stab2_runs=str(sum(r["n_runs"] for r in rows)), stab2_failed=str(sum(r["n_failed"] for r in rows)),
                 stab2_survivors=", ".join(survivors) if survivors else "none")
        # the most stable: fewest failures, then the most picoseconds survived
        best = min(models, key=lambda m: (sum(r["n_failed"] for r in rows if r["model"] == m),
                                          -sum(r["total_ps_survived"] for r in rows if r["model"] == m)))
        v.update(stab2_best=label(best), stab2_best_failed=str(sum(r["n_failed"] for r in rows if r["model"] == best)),
                 stab2_best_runs=str(sum(r["n_runs"] for r in rows if r["model"] == best)))
    return v


def _pair(reason: str) -> str:
    """'S-S distance 1.98 Å < 2.007 Å' -> 'S–S'; other stop reasons (temperature, NaN) unchanged."""
    pair = re.match(r"(\S+) distance ", reason)
    return pair.group(1).replace("-", "–", 1) if pair else reason


def screened_production_model(summary: dict) -> str | None:
    """The production model as the stability screens know it: its training run, or for a model fine-tuned from the
    pre-trained one (the pre-training decision) its from-scratch twin, the model the screens and NVE runs tested."""
    production = summary.get("model", {}).get("source_run")
    rows = (summary.get("pretraining") or {}).get("table") or []
    twin = {r["candidate"]: r["run_name"] for r in rows if r["kind"] == "scratch"}
    return next((twin.get(r["candidate"], production) for r in rows
                 if r["kind"] == "fine-tuned" and r["run_name"] == production), production)


def _fine_tuned(summary: dict) -> bool:
    """Whether the production model was fine-tuned from the pre-trained one (its screens tested a from-scratch twin)."""
    production = summary.get("model", {}).get("source_run")
    return production is not None and screened_production_model(summary) != production


def previous_made_with(summary: dict) -> str:
    """How the report names the model(s) the superseded series was made with (``diffusion_previous`` → ``models``,
    training runs' names; None: the production model): nothing when it is the production model alone, "the
    from-scratch model" for the fine-tuned production model's from-scratch twin alone, else each model (by name)."""
    production = summary.get("model", {}).get("source_run")
    models = list(dict.fromkeys(m or production for m in (summary.get("diffusion_previous") or {}).get("models") or []))
    if not models or models == [production]:
        return ""
    if models == [screened_production_model(summary)] and _fine_tuned(summary):
        return "the from-scratch model"
    return " and ".join("the production model" if m == production else f"model {m}" for m in models)


def _with_core_repulsion(md_runs: list[dict]) -> bool:
    """Whether every one of these MD runs was made with the core repulsion (a run without it records no onsets)."""
    return bool(md_runs) and all(r.get("core_repulsion_onset_A") for r in md_runs)


def _fine_tuned_values(summary: dict) -> dict[str, str]:
    """What the text says of how the production model was made and of the core repulsion in the fit's MD:
    ``pretrain_after`` (abstract, conclusion) and ``pretrain_model_note`` (methods) are empty for a model trained
    from scratch; ``stab_model_label`` names the model the stability screens tested (``screened_production_model``);
    ``core_md_sentence`` says whether the MD of the fit uses the core repulsion (each with its leading space)."""
    fine_tuned = _fine_tuned(summary)
    n_synthetic = ((summary.get("pretraining") or {}).get("synthetic_set") or {}).get("n_configurations")
    uses_core = _with_core_repulsion(summary.get("diffusion") or [])
    return {"pretrain_after": f" after pre-training on {n_synthetic} synthetic ones" if fine_tuned else "",
            "pretrain_model_note": " and pre-trained on synthetic data (below)" if fine_tuned else "",
            "stab_model_label": "from-scratch" if fine_tuned else "production",
            "core_md_sentence": (" The MD below uses it." if uses_core else
                                 " The fine-tuned model's MD below runs without it." if fine_tuned else
                                 " The MD below runs without it.")}


def _stability_values(summary: dict) -> dict[str, str]:
    """The stability screen (failed / total runs per candidate) and the core repulsion in production MD."""
    keys = ("stab_prod_failed", "stab_prod_runs", "stab_prod_core_failed", "stab_prod_core_runs", "stab_other_failed",
            "stab_other_runs", "stab_length_ps", "stab_T_max", "stab_n_failed", "stab_n_failed_LiLi",
            "stab_other_force_rmse", "monitor_fraction_percent", "monitor_min_distance", "core_fraction_percent",
            "core_onset_LiLi", "core_strength_eV", "core_active_percent", "core_max_eV", "stab_n_seeds", "nve_drift",
            "nve_T", "nve_kT")
    v: dict[str, str] = dict.fromkeys(keys, "n/a")  # a stage not run (e.g. in the smoke run) reads as n/a
    table = summary.get("stability", {}).get("table", [])
    production = screened_production_model(summary)
    # the text compares the candidates screened at every temperature of the production model's screen
    prod_temps = {r["temperature_K"] for r in table if r["model"] == production}
    full = {m for m in {r["model"] for r in table}
            if {r["temperature_K"] for r in table if r["model"] == m} >= prod_temps}
    v.update(_second_screen_values([r for r in table if r["model"] not in full]))
    table = [r for r in table if r["model"] in full]
    if table:
        for key, (is_prod, core) in {"prod": (True, False), "prod_core": (True, True), "other": (False, False)}.items():
            rows = [r for r in table if (r["model"] == production) == is_prod and r["core_repulsion"] == core]
            v[f"stab_{key}_failed"] = str(sum(r["n_failed"] for r in rows))
            v[f"stab_{key}_runs"] = str(sum(r["n_runs"] for r in rows))
        v["stab_length_ps"] = fixed(max(r["total_ps_survived"] / max(1, r["n_runs"] - r["n_failed"])
                                        for r in table if r["n_runs"] > r["n_failed"]), 0)
        v["stab_T_max"] = fixed(max(r["temperature_K"] for r in table), 0)
        v["stab_n_seeds"] = str(max(r["n_runs"] for r in table))
        # the causes of the production model's failures (its screens with the core repulsion had none): the text
        # quotes them next to its failed runs, so they count the same runs
        causes = dict(summary["stability"].get("failures_by_model_and_cause", {}).get(production, {}))
        v["stab_n_failed"] = str(sum(causes.values()))
        v["stab_n_failed_LiLi"] = str(causes.get("Li-Li", 0))
        other = {r["model"] for r in table if r["model"] != production}
        errors = summary["stability"].get("test_errors", {})
        if len(other) == 1 and next(iter(other)) in errors:
            v["stab_other_force_rmse"] = fixed(errors[next(iter(other))]["test_force_rmse_meV_per_A"])
    md_runs = summary.get("diffusion", [])
    timestep = md_runs[0].get("timestep_fs") if md_runs else None
    nve = [r for r in summary.get("stability", {}).get("nve", [])
           if r["model"] == production and r["timestep_fs"] == timestep]
    if nve:
        drift = abs(nve[0]["drift_meV_per_atom_per_ps"])
        v.update(nve_drift=fixed(drift, 3), nve_T=fixed(nve[0].get("temperature_K"), 0),
                 nve_kT=fixed(nve[0]["kT_meV"], 0),
                 nve_drift_run=fixed(drift * min(r.get("production_ps", math.nan) for r in md_runs), 1) if md_runs else "n/a")
    minima = summary.get("dataset", {}).get("min_pair_distance_A", {})
    if md_runs and minima and all("pair_limit_A" in r for r in md_runs):
        fractions = {round(r["pair_limit_A"][pair] / minima[pair], 2) for r in md_runs for pair in r["pair_limit_A"]}
        v["monitor_fraction_percent"] = "/".join(fixed(100 * f, 0) for f in sorted(fractions)) or "n/a"
        v["monitor_min_distance"] = fixed(min(r["limit_A"] for r in md_runs), 1)
    # the core repulsion as the fit's MD used it or, where that runs without it, as the series before it did
    previous = (summary.get("diffusion_previous") or {}).get("per_run") or []
    core_runs = next((rs for rs in (md_runs, previous) if _with_core_repulsion(rs)), [])
    if core_runs and minima:
        onsets = [r["core_repulsion_onset_A"] for r in core_runs]
        fractions = {round(o[pair] / minima[pair], 2) for o in onsets for pair in o}
        v["core_fraction_percent"] = "/".join(fixed(100 * f, 0) for f in sorted(fractions))
        v["core_onset_LiLi"] = fixed(onsets[0]["Li-Li"], 2)
        v["core_strength_eV"] = fixed(STRENGTH_EV, 0)
        active = [r["core_active_fraction"] for r in core_runs if r.get("core_active_fraction") is not None]
        if active:
            v["core_active_percent"] = fixed(100 * float(np.mean(active)), 2)
            v["core_max_eV"] = fixed(max(r["core_max_eV"] for r in core_runs if r.get("core_max_eV") is not None), 3)
    elif md_runs:
        v["core_fraction_percent"] = "off"
    return v


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def labels_table(summary: dict) -> str:
    """The names the report uses for models, procedures and checks, with what each means (from the results)."""
    h = summary["model"]["hyperparameters"]
    label = f"c{h['num_channels']}-L{h['max_L']}-r{h['r_max_A']:g}"
    rows = [(label, f"a MACE model with {h['num_channels']} channels, message order L = {h['max_L']} and a "
                    f"{h['r_max_A']:g} Å cutoff (cN-LM-rR: N channels, order M, cutoff R Å)"),
            ("ell2", "spherical harmonics up to ℓ = 2 instead of 3 (faster, less angular detail)"),
            ("production model", f"{label} trained on all {summary['model']['n_train']} training configurations "
                                 f"for {h['max_epochs']} epochs: the model of every production MD run"
             if not h.get("foundation_model") else  # promoted from the pre-training decision (plan: fine_tuned)
             f"{label} pre-trained on the teacher's labels, then fine-tuned on all {summary['model']['n_train']} "
             f"training configurations for {h['max_epochs']} epochs: the model of the fitted MD runs"),
            ("stage two", f"the last epochs of training (from epoch {h['stage_two_start_epoch']} of "
                          f"{h['max_epochs']}) with the energy weight raised from {h['energy_weight']:g} to "
                          f"{h['stage_two_energy_weight']:g}, which fixes the energy scale")]
    c = summary.get("committee")
    if c:
        rows.append(("committee", f"{len(c['members'])} smaller models trained alike with different seeds; "
                                  "their force disagreement σ flags configurations far from the training data"))
    fit_sets = [x for x in summary.get("diffusion_plan_sets") or [] if x["role"] == "fit"]
    if fit_sets:  # the run plan's name for the fitted series, which the report uses for its further sets
        cap = fit_sets[0].get("cap_ps")
        rows.append((fit_sets[0]["set"], "the fitted temperature series of the production model" + (
            f", each run extended from its checkpoint until it passes the convergence rule or reaches {cap:g} ps"
            if cap else "")))
    rows += [("distance monitor", "stops a run when two atoms come closer than a fraction of that pair's "
                                  "shortest distance in the DFT data"),
             ("core repulsion", "a short-range repulsion E = A (1 − r/r~on~)³ added in MD below r~on~, a larger fraction "
                                "of each pair's shortest DFT distance than the monitor's, zero on all DFT data; not the "
                                "ZBL term inside the model"),
             ("broken PS~4~ unit", f"a P with fewer than four S within {P_S_BOND_CUTOFF_A:g} Å, never seen in the "
                                   "DFT data")]
    pt = summary.get("pretraining")
    if pt:
        teacher = pt["synthetic_set"]["teacher"]["teacher"].split(" (")[0]
        rows += [("teacher", f"the universal potential {teacher}, which labels the synthetic configurations"),
                 ("pre-trained, fine-tuned", "trained on the teacher's labels first, then on the DFT training "
                                             "configurations (mace-torch's foundation-model fine-tuning)")]
    # pandoc gives a long pipe table its column widths from the dashes: a narrow name column, a wide meaning column
    return "\n".join([_row(["Name", "Meaning"]), _row([":" + "-" * 17, ":" + "-" * 55])] + [_row(r) for r in rows])


def _short_reason(reason: str) -> str:
    """A decision-rule reason (``pretraining.decide``) shortened for a table cell."""
    reason = re.sub(r"test force RMSE ([\d.]+) > ([\d.]+) meV/Å", r"RMSE \1 > \2", reason)
    return re.sub(r"(\d+) of (\d+) screens at ≤ (\d+) K failed", r"\1 of \2 failed at ≤ \3 K", reason)


def pretraining_table(pt: dict) -> str:
    """Synthetic pre-training side by side, one row per candidate: test force RMSE from scratch and fine-tuned,
    failed plain screens of the fine-tuned model by temperature, MD speed and the decision rule's verdict."""
    rows = pt["table"]
    by = {(r["candidate"], r["kind"]): r for r in rows}
    verdicts = {v["run_name"]: v for v in pt["decision"]["verdicts"]}
    temps = sorted({float(k.split("_")[1][:-1]) for r in rows if r["kind"] == "fine-tuned"
                    for k in r if k.startswith("failed_") and r[k] is not None})
    # pandoc sizes a long pipe table's columns by its dashes: room for the numbers, the most for the verdict
    lines = [_row(["Candidate", "scratch", "fine-tuned"] + [f"{T:g} K" for T in temps]
                  + ["PS~4~ (eV)", "ns/day", "decision rule"]),
             _row([":" + "-" * 21, "-" * 9 + ":", "-" * 10 + ":"] + ["-" * 6 + ":"] * len(temps)
                  + ["-" * 16 + ":", "-" * 7 + ":", ":" + "-" * 26])]
    for name in dict.fromkeys(r["candidate"] for r in rows):
        scratch, ft = by.get((name, "scratch")), by[(name, "fine-tuned")]
        v = verdicts.get(ft["run_name"])
        lines.append(_row([name, fixed(scratch["test_force_rmse_meV_per_A"], 1) if scratch else "—",
                           fixed(ft["test_force_rmse_meV_per_A"], 1)]
                          + [ft.get(f"failed_{T:g}K") or "—" for T in temps]
                          + [f"{signed(ft['ps4_delta_error_eV'], 2)} ± {ft['ps4_delta_error_err_eV']:.2f}"
                             if ft.get("ps4_delta_error_eV") is not None else "—",
                             fixed(ft.get("ns_per_day_per_core"), 1),
                             "passes" if v and v["passes"] else "; ".join(map(_short_reason, v["reasons"])) if v else "—"]))
    return "\n".join(lines)


def tables(summary: dict) -> dict[str, str]:
    """Markdown tables by name: model settings, D(T), Arrhenius vs literature."""
    out = {}
    m = summary.get("model")
    if m:
        h = m["hyperparameters"]
        rows = [("Architecture", f"MACE, {h['num_channels']} channels, max L = {h['max_L']}"),
                ("Radial cutoff", f"{h['r_max_A']:g} Å, {h['num_radial_basis']} Bessel functions"),
                ("Interactions / correlation order / max ℓ", f"{h['num_interactions']} / {h['correlation']} / {h['max_ell']}"),
                ("Core repulsion", "ZBL" if h["pair_repulsion"] else "none"),
                ("Training configurations (fitted + validation) / test",
                 f"{m['n_train']} ({round(m['n_train'] * (1 - h['valid_fraction']))} + "
                 f"{round(m['n_train'] * h['valid_fraction'])}) / {summary['dataset']['n_test']}"),
                ("Loss weights (energy : forces)", f"{h['energy_weight']:g} : {h['forces_weight']:g}, stage two "
                 f"{h['stage_two_energy_weight']:g} : {h['stage_two_forces_weight']:g}"),
                ("Epochs (stage two from)", f"{h['max_epochs']} ({h['stage_two_start_epoch']})"),
                ("Optimiser", f"{OPTIMISER}, lr {h['lr']:g}, batch {h['batch_size']}, weight EMA {EMA_DECAY:g}"),
                ("Precision", h["dtype"])]
        out["model"] = "\n".join([_row(["Setting", "Value"]), _row(["---", "---"])] + [_row(r) for r in rows])
        out["labels"] = labels_table(summary)
    # the report includes this table whether or not the plan pre-trains (the smoke plan does not)
    out["pretraining"] = (pretraining_table(summary["pretraining"]) if summary.get("pretraining") else
                          "\n".join([_row(["Synthetic pre-training"]), _row(["---"]), _row(["not part of this study's plan"])]))
    per_T = summary.get("diffusion_per_temperature")
    # a temperature the convergence rule left out of the fit is shown among the fitted ones, marked
    left_out_T = (summary.get("diffusion_left_out") or {}).get("per_temperature") or []
    # and the extrapolation target while its set is pending (runs still doubled, or done), marked: the report quotes it
    check = extrapolation_check(summary)
    pending_T = [{**check["row"], "still_running": check["still_running"]}] if check and check["where"] == "pending" else []
    if per_T:
        per_T = sorted(per_T + [{**r, "left_out": True} for r in left_out_T] + [{**r, "pending": True} for r in pending_T],
                       key=lambda r: r["temperature_K"])
        lines = [_row(["T (K)", "runs", "D (cm²/s)", "σ~D~ (cm²/s)", "χ²~red~", "MSD slope", "RMS (Å)",
                       "broken PS~4~ (%)", "passed"]),
                 _row(["----:", "---:", "------:", "------:", "---:", "----:", "----:", "------:", "-----:"])]
        for r in per_T:
            broken = r.get("broken_PS4_fraction_max")
            converged = r.get("n_converged")
            lines.append(_row([f"{r['temperature_K']:g}", str(r["n_runs"]),
                               sci(r["D_cm2_s"]), sci(r["D_err_cm2_s"]),
                               fixed(r["chi2_red"], 2) if r["n_runs"] > 1 else "—",
                               fixed(r.get("msd_exponent_min"), 2), fixed(r.get("rms_displacement_min_A"), 1),
                               percent(broken) if broken is not None else "n/a",
                               (f"{converged}/{r['n_runs']}" + (", left out" if r.get("left_out") else "")
                                + ((", running" if r["still_running"] else ", not in the fit") if r.get("pending") else ""))
                               if converged is not None else "—"]))
        out["diffusion"] = "\n".join(lines)
    a = summary.get("arrhenius")
    if a:
        r = _lognormal_ranges(a)
        lines = [_row(["Source", "E~a~ (eV)", "D~0~ (cm²/s)", "σ(300 K) (mS/cm)"]),
                 _row(["-----------", "--------:", "---------------------:", "-----------:"]),
                 _row(["This work", f"{fixed(a['Ea_eV'], 3)} ± {fixed(a['Ea_err_eV'], 3)}",
                       f"{sci(a['D0_cm2_s'])} ({r['D0_lo']}–{r['D0_hi']})",
                       f"{_mS_cm(a['sigma300K_S_cm'] * 1000)} ({r['sigma300_lo']}–{r['sigma300_hi']})"])]
        for item in LITERATURE:
            lines.append(_row([f"{item['source']} [{item['cite']}]", fixed(item["Ea_eV"], 2),
                               sci(item.get("D0_cm2_s")) if item.get("D0_cm2_s") else "—",
                               fixed(item["sigma300K_mS_cm"], 0) if item["sigma300K_mS_cm"] else "—"]))
        out["literature"] = "\n".join(lines)
    events = (summary.get("committee") or {}).get("production_events")
    if events:
        analysed = {r["run_name"]: r.get("analysed_ps", r["production_ps"]) for r in summary.get("diffusion") or []}
        # runs analysed but left out of the fit by the convergence rule
        unconverged = {r["run_name"]: r.get("analysed_ps", r["production_ps"])
                       for r in (summary.get("diffusion_left_out") or {}).get("per_run") or []}
        # pending runs (never fitted) at the length of their last finished piece: those still being made in pieces
        # (83-atom, not converged, below the cap) and those that are done (a finished supercell run, a capped run);
        # still_running is written by the current notebook 6, which Make reruns whenever analysis/ changes
        pending = (summary.get("diffusion_pending") or {}).get("per_run") or []
        ps = lambda x: "—" if x is None else f"{x:g}"  # noqa: E731
        # a supercell run says so: its row would otherwise read as one more 83-atom seed
        cell = {r["run_name"]: f" ({n}×{n}×{n} cell)" for r in pending if (n := r.get("supercell") or 1) > 1}
        running = {r["run_name"]: r["production_ps"] for r in pending if r.get("still_running")}
        pending_done = {r["run_name"]: f"{ps(round(r['production_ps'], 1))}{cell.get(r['run_name'], '')}, " + (
            "not converged" if r.get("converged") is False else "not in the fit")
            for r in pending if not r.get("still_running")}
        # a run the distance monitor stopped is not checked along its length, only over its last 2 ps
        last = {r["run_name"]: r for r in (summary.get("committee") or {}).get("before_failure") or []}
        limit = (summary.get("committee") or {}).get("limit_eV_A")

        def committee_cell(r: dict) -> str:
            if r.get("committee_checked", True) or r["run_name"] not in last or limit is None:
                return ps(r["committee_ps"])
            return "in last 2 ps" if last[r["run_name"]]["sigma_last_2ps_max_eV_A"] > limit else "— (last 2 ps)"

        lines = [_row(["T (K)", "seed", "stopped (ps)", "committee (ps)", "PS~4~ broken (ps)", "broken frames (%)",
                       "analysed (ps)"]),
                 _row(["---:", "---:", "---:", "---:", "---:", "---:", "---:"])]
        # runs where nothing happened share one row (the table lists what did happen)
        quiet = [r for r in events if r["stopped_ps"] is None and r["committee_ps"] is None and
                 committee_cell(r) == "—" and r["PS4_break_ps"] is None and not r["broken_PS4_fraction"]
                 and r["run_name"] in analysed]
        quiet = quiet if len(quiet) > 1 else []
        events = [r for r in events if r not in quiet]
        if quiet:
            temps = sorted({r["temperature_K"] for r in quiet})
            spans = sorted(round(analysed[r["run_name"]], 1) for r in quiet)
            lines.append(_row([f"{temps[0]:g}–{temps[-1]:g}" if len(temps) > 1 else f"{temps[0]:g}",
                               f"{len(quiet)} runs", "—", "—", "—", "0",
                               f"{spans[0]:g}–{spans[-1]:g}" if spans[0] != spans[-1] else f"{spans[0]:g}"]))
        for r in sorted(events, key=lambda r: (r["temperature_K"], r["seed"])):
            # stopped_in_equilibration: written by the current notebook 5 (Make reruns it whenever analysis/ changes)
            stopped = ("in equilibration" if r["stopped_in_equilibration"] else ps(r["stopped_ps"])) + (
                f" ({_pair(r['stop_reason'])})" if r.get("stop_reason") else "")
            broken = r["broken_PS4_fraction"]
            lines.append(_row([f"{r['temperature_K']:g}", str(r["seed"]), stopped, committee_cell(r),
                               ps(r["PS4_break_ps"]), "—" if broken is None else percent(broken),
                               ps(round(analysed[r["run_name"]], 1)) if r["run_name"] in analysed else
                               f"{ps(round(unconverged[r['run_name']], 1))}, not converged"
                               if r["run_name"] in unconverged else
                               f"{ps(round(running[r['run_name']], 1))}{cell.get(r['run_name'], '')} so far, running"
                               if r["run_name"] in running else
                               pending_done[r["run_name"]] if r["run_name"] in pending_done else "left out"]))
        out["events"] = "\n".join(lines)
    return out
