"""Every number the report cites, computed from ``summary.json`` — never typed by hand.

``variables(summary)`` gives the values for Quarto's ``{{< var key >}}`` (written to
``_variables.yml``); ``tables(summary)`` gives the report's tables as Markdown.
"""

from __future__ import annotations

import math

import numpy as np

# Published values the report compares with (cited in the report's reference list).
LITERATURE = [
    {"source": "Experiment, Li7P3S11 glass-ceramic", "cite": "@seino2014", "Ea_eV": 0.18,
     "sigma300K_mS_cm": 17.0},
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


def fixed(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}".replace("-", "−")


def _temperatures(values) -> str:
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
                 lc_force_tenfold=fixed(float(np.mean(largest)) * 10 ** f["slope"], 0))
    runs = summary.get("diffusion", [])
    if runs:
        v.update(md_temperatures=_temperatures(r["temperature_K"] for r in runs), md_n_runs=str(len(runs)),
                 md_n_temperatures=str(len({r["temperature_K"] for r in runs})),
                 md_production_ps=fixed(min(r["production_ps"] for r in runs), 0),
                 md_total_ns=fixed(sum(r["production_ps"] for r in runs) / 1000, 2),
                 md_min_distance=fixed(min(r["min_distance_A"] for r in runs), 2),
                 md_fit_start_ps=fixed(min(r["fit_start_ps"] for r in runs), 1),
                 md_msd_exponent_min=fixed(min(r["msd_exponent"] for r in runs), 2),
                 md_msd_exponent_max=fixed(max(r["msd_exponent"] for r in runs), 2),
                 md_n_excluded=str(len(summary.get("diffusion_excluded", []))),
                 md_timestep_fs=fixed(runs[0]["timestep_fs"], 1),
                 md_steps_per_s=fixed(float(np.median([r["steps_per_s"] for r in runs])), 1),
                 md_ns_per_day=fixed(float(np.median([r["steps_per_s"] * r["timestep_fs"] for r in runs])) * 86400e-6, 2))
    a = summary.get("arrhenius")
    if a:
        v.update(Ea=fixed(a["Ea_eV"], 3), Ea_err=fixed(a["Ea_err_eV"], 3), D0=sci(a["D0_cm2_s"]),
                 D0_err=sci(a["D0_err_cm2_s"]), D300=sci(a["D300K_cm2_s"]), D300_err=sci(a["D300K_err_cm2_s"]),
                 sigma300_mS_cm=fixed(a["sigma300K_S_cm"] * 1000, 2),
                 sigma300_err_mS_cm=fixed(a["sigma300K_err_S_cm"] * 1000, 2),
                 arrhenius_chi2=fixed(a["chi2_red"], 2), haven_ratio=fixed(a["haven_ratio"], 1),
                 T_min=fixed(a["T_range_K"][0], 0), T_max=fixed(a["T_range_K"][1], 0))
    for item in LITERATURE:
        key = item["cite"].lstrip("@")
        v[f"lit_{key}_Ea"] = fixed(item["Ea_eV"], 2)
        v[f"lit_{key}_sigma"] = fixed(item["sigma300K_mS_cm"], 0)
    bench = summary.get("benchmarks", {})
    if bench:
        v.update({k: (fixed(val, 1) if isinstance(val, float) else str(val)) for k, val in bench.items()})
    return v


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


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
                ("Training / validation / test configurations",
                 f"{round(m['n_train'] * (1 - h['valid_fraction']))} / {round(m['n_train'] * h['valid_fraction'])} / "
                 f"{summary['dataset']['n_test']}"),
                ("Loss weights (energy : forces)", f"{h['energy_weight']:g} : {h['forces_weight']:g}, stage two "
                 f"{h['stage_two_energy_weight']:g} : {h['stage_two_forces_weight']:g}"),
                ("Epochs (stage two from)", f"{h['max_epochs']} ({h['stage_two_start_epoch']})"),
                ("Optimiser", f"AMSGrad Adam, lr {h['lr']:g}, batch {h['batch_size']}, EMA 0.99"),
                ("Precision", h["dtype"])]
        out["model"] = "\n".join([_row(["Setting", "Value"]), _row(["---", "---"])] + [_row(r) for r in rows])
    per_T = summary.get("diffusion_per_temperature")
    if per_T:
        lines = [_row(["T (K)", "runs", "production (ps)", "D (cm²/s)", "σ_D (cm²/s)", "χ²~red~ between runs"]),
                 _row(["---:", "---:", "---:", "---:", "---:", "---:"])]
        for r in per_T:
            lines.append(_row([f"{r['temperature_K']:g}", str(r["n_runs"]), fixed(r["production_ps_total"], 0),
                               sci(r["D_cm2_s"]), sci(r["D_err_cm2_s"]), fixed(r["chi2_red"], 2)]))
        out["diffusion"] = "\n".join(lines)
    a = summary.get("arrhenius")
    if a:
        lines = [_row(["Source", "E~a~ (eV)", "σ(300 K) (mS/cm)"]), _row(["---", "---:", "---:"]),
                 _row(["This work (MACE-MD, Nernst–Einstein)", f"{fixed(a['Ea_eV'], 3)} ± {fixed(a['Ea_err_eV'], 3)}",
                       f"{fixed(a['sigma300K_S_cm'] * 1000, 2)} ± {fixed(a['sigma300K_err_S_cm'] * 1000, 2)}"])]
        for item in LITERATURE:
            lines.append(_row([f"{item['source']} [{item['cite']}]", fixed(item["Ea_eV"], 2),
                               fixed(item["sigma300K_mS_cm"], 0)]))
        out["literature"] = "\n".join(lines)
    return out
