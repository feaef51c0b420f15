"""One plotting style and the study's figures. Each function returns a Figure; ``save`` writes it.

Figures are saved as PNG (200 dpi) into ``derived/figures`` under a fixed name, which the report
includes by path.
"""

from __future__ import annotations

from pathlib import Path

import sys

import matplotlib
import numpy as np

if "ipykernel" not in sys.modules:  # scripts and tests: no display; notebooks keep inline plots
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from analysis import paths  # noqa: E402

ELEMENT_COLOURS = {"Li": "#4c72b0", "P": "#dd8452", "S": "#c9a227"}
STYLE = {
    "figure.figsize": (4.8, 3.4),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
plt.rcParams.update(STYLE)


def save(fig, name: str, directory: Path | None = None) -> None:
    """Write ``fig`` as ``<name>.png`` into the figures folder (``directory``: another folder). Returns nothing, so
    that a notebook cell ending with it shows the figure, not a path."""
    directory = Path(directory) if directory is not None else paths.figures_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp)
    tmp.replace(path)


def dataset_overview(energy_per_atom_eV: np.ndarray, forces_eV_A: np.ndarray, symbols: np.ndarray):
    """Histogram of energies (meV/atom relative to the mean) and force components per element."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.0, 2.8))
    rel = (energy_per_atom_eV - energy_per_atom_eV.mean()) * 1000
    ax1.hist(rel, bins=25, color="grey")
    ax1.set_xlabel("E − ⟨E⟩ (meV/atom)")
    ax1.set_ylabel("configurations")
    bins = np.linspace(-4, 4, 81)
    for element in ("Li", "P", "S"):
        mask = symbols == element
        ax2.hist(forces_eV_A[:, mask].ravel(), bins=bins, histtype="step", density=True,
                 color=ELEMENT_COLOURS[element], label=element)
    ax2.set_xlabel("force component (eV/Å)")
    ax2.set_ylabel("density")
    ax2.set_yscale("log")
    ax2.legend()
    fig.tight_layout()
    return fig


def pair_distances(histograms: dict[str, tuple[np.ndarray, np.ndarray]]):
    """Pair-distance distributions (counts per configuration) for each species pair."""
    fig, ax = plt.subplots(figsize=(4.8, 3.0))
    for pair, (centres, counts) in histograms.items():
        ax.plot(centres, counts, label=pair)
    ax.set_xlabel("distance (Å)")
    ax.set_ylabel("pairs per configuration per bin")
    ax.legend(ncol=2)
    fig.tight_layout()
    return fig


def parity(pred: dict):
    """Energy and force parity plots (model vs DFT) on the test set."""
    n = pred["n_atoms"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.0, 3.2))
    e_ref = pred["energy_ref_eV"] / n * 1000
    e_mod = pred["energy_model_eV"] / n * 1000
    shift = e_ref.mean()
    ax1.scatter(e_ref - shift, e_mod - shift, s=10, color="k")
    lim = np.array([min(e_ref.min(), e_mod.min()), max(e_ref.max(), e_mod.max())]) - shift
    ax1.plot(lim, lim, color="grey", lw=0.8)
    ax1.set_xlabel("DFT energy − ⟨E⟩ (meV/atom)")
    ax1.set_ylabel("MACE energy − ⟨E⟩ (meV/atom)")
    for element in ("S", "P", "Li"):
        mask = pred["symbols"] == element
        ax2.scatter(pred["forces_ref_eV_A"][:, mask].ravel(), pred["forces_model_eV_A"][:, mask].ravel(),
                    s=1, alpha=0.4, color=ELEMENT_COLOURS[element], label=element, rasterized=True)
    flim = np.abs(pred["forces_ref_eV_A"]).max() * 1.05
    ax2.plot([-flim, flim], [-flim, flim], color="grey", lw=0.8)
    ax2.set_xlabel("DFT force component (eV/Å)")
    ax2.set_ylabel("MACE force component (eV/Å)")
    ax2.legend(markerscale=6)
    fig.tight_layout()
    return fig


def learning_curve(table, fits: dict, pretrained=None, pretrained_fits: dict | None = None):
    """Test energy and force RMSE against training-set size, log-log, mean ± std over seeds; with ``pretrained``
    (the same curve fine-tuned from a pre-trained model) both, from scratch in black/red, pre-trained in blue."""
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.0))
    curves = [(table, fits, "k", "C3", "from scratch")]
    if pretrained is not None and len(pretrained):
        curves.append((pretrained, pretrained_fits or {}, "C0", "C0", "pre-trained"))
    for ax, column, label in zip(
        axes,
        ("test_energy_rmse_meV_per_atom", "test_force_rmse_meV_per_A"),
        ("energy RMSE (meV/atom)", "force RMSE (meV/Å)"),
    ):
        for data, curve_fits, colour, line_colour, name in curves:
            stats = data.groupby("n_train")[column].agg(["mean", "std"]).reset_index()
            ax.errorbar(stats["n_train"], stats["mean"], yerr=stats["std"].fillna(0), fmt="o", color=colour, capsize=3)
            ax.scatter(data["n_train"], data[column], s=8, color="grey" if colour == "k" else colour, alpha=0.6)
            fit = curve_fits.get(column)
            if fit is not None:
                n = np.geomspace(stats["n_train"].min(), stats["n_train"].max(), 50)
                prefix = f"{name}, " if len(curves) > 1 else ""
                ax.plot(n, np.exp(fit["intercept"]) * n ** fit["slope"], color=line_colour,
                        ls="-" if colour == "k" else "--", label=f"{prefix}slope {fit['slope']:.2f} ± {fit['slope_err']:.2f}".replace(" -", " −"))
        ax.legend(fontsize=7)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:g}")  # "90", not "9 × 10¹"
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)
        sizes = sorted(table["n_train"].unique())  # the training-set sizes as the x ticks
        ax.set_xticks(sizes, [f"{n:g}" for n in sizes])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("training configurations")
        ax.set_ylabel(label)
    fig.tight_layout()
    return fig


def thermo(rows, temperature_K: float, min_distance_A: float):
    """Temperature, potential energy and minimum interatomic distance along one MD run."""
    time_ps = np.array([float(r["time_ps"]) for r in rows])
    fig, axes = plt.subplots(3, 1, figsize=(5.5, 5.0), sharex=True)
    axes[0].plot(time_ps, [float(r["temperature_K"]) for r in rows], lw=0.6)
    axes[0].axhline(temperature_K, color="k", lw=0.8)
    axes[0].set_ylabel("T (K)")
    axes[1].plot(time_ps, [float(r["epot_eV"]) for r in rows], lw=0.6)
    axes[1].set_ylabel("E_pot (eV)")
    if all(r.get("closest_to_limit") not in (None, "") for r in rows):  # per-pair limits (newer runs)
        axes[2].plot(time_ps, [float(r["closest_to_limit"]) for r in rows], lw=0.6)
        axes[2].axhline(1.0, color="C3", lw=0.8, label="stop")
        axes[2].set_ylabel("closest pair /\nits limit")
    else:
        axes[2].plot(time_ps, [float(r["min_distance_A"]) for r in rows], lw=0.6)
        axes[2].axhline(min_distance_A, color="C3", lw=0.8, label="stop threshold")
        axes[2].set_ylabel("min. distance (Å)")
    axes[2].set_xlabel("time (ps)")
    axes[2].legend()
    fig.tight_layout()
    return fig


def _temperature_colours(temperatures: list) -> list:
    """One colour per temperature, cold blue to hot red, the same in every figure (turbo without its faint ends:
    every temperature stays visible on white, unlike a diverging map's pale middle)."""
    cmap = plt.get_cmap("turbo")
    colours = []
    for k in range(len(temperatures)):
        rgb = np.array(cmap(0.08 + 0.87 * k / max(1, len(temperatures) - 1))[:3])
        luminance = float(rgb @ [0.2126, 0.7152, 0.0722])
        colours.append((*(rgb * min(1.0, 0.55 / luminance)), 1.0))  # turbo's yellow-greens darkened to print on white
    return colours


def msd_curves(curves: dict[float, list[tuple[np.ndarray, np.ndarray]]], fit_start_ps: float | None = None):
    """Li MSD against time for every temperature (one line per run), log-log."""
    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    temps = sorted(curves)
    styles = ["-", "--", "-.", ":"]  # with the colour, so that neighbouring temperatures stay apart in print
    for k, (T, colour) in enumerate(zip(temps, _temperature_colours(temps))):
        for j, (t, m) in enumerate(curves[T]):
            ax.loglog(t, m, color=colour, lw=1.0, ls=styles[k % len(styles)], label=f"{T:g} K" if j == 0 else None)
    if fit_start_ps:
        ax.axvline(fit_start_ps, color="grey", ls="--", lw=0.8, label="fit start")
    ax.set_xlabel("time lag (ps)")
    ax.set_ylabel("Li MSD (Å²)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def arrhenius(per_run, per_temperature, fit: dict | None, extrapolate_to_K: float = 300.0,
              left_out: dict | None = None):
    """ln D against 1000/T with error bars, the weighted fit, and its extrapolation to ``extrapolate_to_K``;
    where that temperature is in the series, also the fit without it (dashed). ``left_out`` (per_run and
    per_temperature records the convergence rule took out of the fit) is drawn open, beside the fit."""
    from analysis.arrhenius import KB_EV_PER_K

    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    ax.scatter(1000 / per_run["temperature_K"], per_run["D_cm2_s"], s=10, color="grey", label="single runs")
    ax.errorbar(1000 / per_temperature["temperature_K"], per_temperature["D_cm2_s"],
                yerr=per_temperature["D_err_cm2_s"], fmt="o", color="k", capsize=3, label="per T")
    if left_out and left_out.get("per_run"):
        T_run, D_run = np.array([(r["temperature_K"], r["D_cm2_s"]) for r in left_out["per_run"]]).T
        ax.scatter(1000 / T_run, D_run, s=12, facecolor="none", edgecolor="grey", label="runs not converged (left out)")
    if left_out and left_out.get("per_temperature"):
        T_out, D_out, err_out = np.array([(r["temperature_K"], r["D_cm2_s"], r["D_err_cm2_s"])
                                          for r in left_out["per_temperature"]]).T
        ax.errorbar(1000 / T_out, D_out, yerr=err_out, fmt="o", mfc="white", color="k", capsize=3,
                    label="per T, no run converged (left out)")
    if fit is not None:
        T = np.linspace(extrapolate_to_K, per_temperature["temperature_K"].max(), 100)
        D = np.exp(fit["lnD0"] - fit["Ea_eV"] / (KB_EV_PER_K * T))
        ax.plot(1000 / T, D, color="C3", label=f"fit, Ea = {fit['Ea_eV']:.2f} ± {fit['Ea_err_eV']:.2f} eV")
        # where the target temperature was measured, the fit without it shows how well the extrapolation does
        held_out = [r for r in fit.get("Ea_leave_one_out") or [] if r["left_out_K"] == extrapolate_to_K]
        for r in held_out:
            ax.plot(1000 / T, np.exp(r["lnD0"] - r["Ea_eV"] / (KB_EV_PER_K * T)), color="C0", ls=":", lw=1.6,
                    label=f"fit without {extrapolate_to_K:g} K, Ea = {r['Ea_eV']:.2f} ± {r['Ea_err_eV']:.2f} eV")
            # its prediction at the left-out temperature, beside the measured point
            ax.errorbar(1000 / extrapolate_to_K - 0.04, r["D_predicted_cm2_s"], yerr=r["D_predicted_err_cm2_s"],
                        fmt="s", mfc="white", color="C0", capsize=3, label=f"its prediction at {extrapolate_to_K:g} K")
    ax.set_yscale("log")
    ax.set_xlabel("1000 K / T")
    ax.set_ylabel("D (cm²/s)")
    top = ax.secondary_xaxis("top", functions=(lambda x: 1000 / np.maximum(x, 1e-9), lambda t: 1000 / np.maximum(t, 1e-9)))
    top.set_xlabel("T (K)", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def stability(df):
    """Time to first failure per candidate (one row each) and temperature (colour); ×: failed, open ▲: survived,
    drawn at its run length."""
    # "train-c32-L0-r5-n160-seed1-ep40-s2-noZBL" -> "c32-L0-r5-noZBL, 40 epochs"
    short = df["model"].str.replace(r"^train-(.+?)-n\d+-seed\d+-ep(\d+)(?:-s2)?(.*)$", r"\1\3, \2 epochs", regex=True)
    df = df.assign(candidate=short + np.where(df.get("core_repulsion", False), " + core repulsion", ""))
    candidates = sorted(df["candidate"].unique())
    temps = sorted(df["temperature_K"].unique())
    fig, ax = plt.subplots(figsize=(7.2, 1.9 + 0.38 * len(candidates)))
    for i, candidate in enumerate(candidates):
        for j, (T, colour) in enumerate(zip(temps, _temperature_colours(temps))):
            g = df[(df["candidate"] == candidate) & (df["temperature_K"] == T)]
            y = i + (j - (len(temps) - 1) / 2) * min(0.11, 0.7 / max(1, len(temps)))  # temperatures side by side
            failed, ok = g[g["failed"]], g[~g["failed"]]
            ax.scatter(failed["time_to_failure_ps"], [y] * len(failed), marker="x", s=22, color=colour)
            ax.scatter(ok["length_ps"], [y] * len(ok), marker="^", s=22, facecolor="none", edgecolor=colour)
        g = df[df["candidate"] == candidate]  # survivors stack at their run length: count them
        ax.text(1.02, i, f"{int((~g['failed']).sum())}/{len(g)} survived", transform=ax.get_yaxis_transform(),
                va="center", fontsize=7)
    for T, colour in zip(temps, _temperature_colours(temps)):
        ax.scatter([], [], marker="s", color=colour, label=f"{T:g} K")
    ax.scatter([], [], marker="x", color="black", label="failed")
    ax.scatter([], [], marker="^", facecolor="none", edgecolor="black", label="survived")
    ax.set_yticks(range(len(candidates)), candidates, fontsize=8)
    ax.set_ylim(len(candidates) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set_xlabel("time to first failure (ps of NVT)")
    ax.grid(axis="y", alpha=0.0)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.5 / (1.2 + 0.38 * len(candidates)) - 0.12),
              ncol=5, frameon=False)
    fig.tight_layout()
    return fig


def committee(along, reference_eV_A: float, limit_eV_A: float | None = None, probe_runs=(), pending_runs=(),
              previous_runs=()):
    """Committee force disagreement along each MD run (meV/Å), coloured by temperature; dashed: test-set 95th pct.,
    dotted: the trained-region limit. The runs of the temperature series, the hotter probes named in ``probe_runs``,
    the pending series named in ``pending_runs`` (another model) and the series the fit replaced, named in
    ``previous_runs``, in panels of their own, so that each panel has few series."""
    probes, pending = along["run_name"].isin(list(probe_runs)), along["run_name"].isin(list(pending_runs))
    previous = along["run_name"].isin(list(previous_runs))
    groups = [(title, along[rows], ratio) for title, rows, ratio in
              [("temperature series", ~probes & ~pending & ~previous, 3), ("probes (not in the fit)", probes, 2),
               ("pending series (not in the fit)", pending, 3), ("previous series (not in the fit)", previous, 3)]
              if rows.any()]
    fig, axes = plt.subplots(1, len(groups), figsize=(6.8 if len(groups) < 3 else 8.0, 3.4), sharey=True,
                             squeeze=False, gridspec_kw={"width_ratios": [g[2] for g in groups]})
    groups = [g[:2] for g in groups]
    every_T = sorted(along["temperature_K"].unique())
    colour_of = dict(zip(every_T, _temperature_colours(every_T)))  # one temperature, one colour in all panels
    # and one marker: neighbouring temperatures (560 and 600 K) have close colours
    marker_of = {T: "os^Dv"[k % 5] for k, T in enumerate(every_T)}
    for first, ax, (title, rows) in zip([True] + [False] * len(groups), axes[0], groups):
        for T in sorted(rows["temperature_K"].unique()):
            colour = colour_of[T]
            for k, (_, g) in enumerate(rows[rows["temperature_K"] == T].groupby("run_name")):
                ax.plot(g["time_ps"], g["sigma_max_eV_A"] * 1000, color=colour, lw=0.6, marker=marker_of[T], ms=2.2,
                        mew=0, label=f"{T:g} K" if k == 0 else None)
        # the reference lines named once, in the first panel; the narrower panels' legends in one column
        ax.axhline(reference_eV_A * 1000, color="k", ls="--", lw=0.8, label="test set, 95th pct." if first else None)
        if limit_eV_A is not None:
            ax.axhline(limit_eV_A * 1000, color="k", ls=":", lw=1.0, label="trained-region limit" if first else None)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("production time (ps)")
        ax.legend(fontsize=7, loc="upper left", ncol=2 if first else 1, framealpha=0.9, markerscale=1.8)
    axes[0][0].set_ylabel("committee σ$_{max}$ (meV/Å)")
    top = along["sigma_max_eV_A"].max() * 1000
    axes[0][0].set_ylim(0, 1.6 * top)  # head room for the legends above the data
    fig.tight_layout()
    return fig


def architecture(table, front):
    """Test force RMSE (meV/Å) against MD speed (ns/day on one core) per candidate (legend); ● on the Pareto front
    (dashed line), ■ off it."""
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    x, y = table["ns_per_day_per_core"].to_numpy(float), table["test_force_rmse_meV_per_A"].to_numpy(float)
    span_x, span_y = np.ptp(x) or 1.0, np.ptp(y) or 1.0
    for k, (_, r) in enumerate(table.iterrows()):
        on_front = bool(front.iloc[k])
        ax.scatter(x[k], y[k], color="k" if on_front else "grey", s=30, marker="o" if on_front else "s", zorder=3)
        # each point named beside it (no legend to match colours against): left of the point when a neighbour
        # lies close on its right
        crowded = any(0 < x[j] - x[k] < 0.12 * span_x and abs(y[j] - y[k]) < 0.08 * span_y for j in range(len(x)))
        # the front rises to the right, so a front point's name goes below it, off the dashed line
        ax.annotate(r["architecture"], (x[k], y[k]), xytext=(-6 if crowded else 6, -4 if on_front else 3),
                    textcoords="offset points", ha="right" if crowded else "left", va="top" if on_front else "bottom",
                    fontsize=7)
    best = table[front.values].sort_values("ns_per_day_per_core")
    ax.plot(best["ns_per_day_per_core"], best["test_force_rmse_meV_per_A"], color="k", lw=0.8, ls="--",
            label="Pareto front (black ●); grey ■: a faster and more accurate candidate exists")
    ax.set_xlabel("MD speed (ns/day, one core, float32)")
    ax.set_ylabel("test force RMSE (meV/Å)")
    ax.set_xlim(x.min() - 0.12 * span_x, x.max() + 0.25 * span_x)
    ax.set_ylim(y.min() - 0.1 * span_y, y.max() + 0.12 * span_y)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def pretraining(table, screens, rmse_limit_meV_A: float = 32.0, scratch_screens=None):
    """Left: test force RMSE from scratch and fine-tuned after synthetic pre-training, per candidate (dotted: the
    decision rule's limit). Right: plain-NVT runs of the fine-tuned models (``screens`` with a ``candidate``
    column), time to first failure (×) or run length for runs that survived (△), against temperature; the
    from-scratch models' earlier screens in grey."""
    from matplotlib.lines import Line2D

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.0, 3.0), gridspec_kw={"width_ratios": [1, 1.25]})
    names = list(dict.fromkeys(table["candidate"]))
    x = np.arange(len(names))
    top = 0.0
    for k, (kind, colour) in enumerate((("scratch", "#999999"), ("fine-tuned", "#4c72b0"))):
        rows = [table[(table["candidate"] == a) & (table["kind"] == kind)]["test_force_rmse_meV_per_A"] for a in names]
        values = [float(r.iloc[0]) if len(r) else np.nan for r in rows]
        top = max(top, np.nanmax(values))
        ax1.bar(x + (k - 0.5) * 0.38, values, width=0.36, color=colour, label=kind)
    ax1.axhline(rmse_limit_meV_A, color="k", ls=":", lw=1.0, label=f"rule: ≤ {rmse_limit_meV_A:g}")
    ax1.set_ylim(0, 1.4 * top)
    ax1.set_xticks(x, [n.replace(" (", "\n(") for n in names], fontsize=7, rotation=30, ha="right")
    ax1.set_ylabel("test force RMSE (meV/Å)")
    ax1.legend(loc="upper left", fontsize=7, handlelength=1.2)
    handles = []
    shown = [n for n in names if (screens["candidate"] == n).any()]
    for k, name in enumerate(shown):
        g = screens[screens["candidate"] == name]
        colour = plt.cm.tab10(names.index(name) % 10)
        offset = (k - (len(shown) - 1) / 2) * 12.0
        failed, ok = g[g["failed"]], g[~g["failed"]]
        ax2.scatter(failed["temperature_K"] + offset, failed["time_to_failure_ps"], marker="x", color=colour)
        ax2.scatter(ok["temperature_K"] + offset, ok["length_ps"], marker="^", facecolor="none", edgecolor=colour)
        handles.append(Line2D([], [], ls="none", marker="s", color=colour, label=f"{name} fine-tuned"))
    if scratch_screens is not None and len(scratch_screens):
        failed, ok = scratch_screens[scratch_screens["failed"]], scratch_screens[~scratch_screens["failed"]]
        ax2.scatter(failed["temperature_K"], failed["time_to_failure_ps"], marker="x", color="0.6")
        ax2.scatter(ok["temperature_K"], ok["length_ps"], marker="^", facecolor="none", edgecolor="0.6")
        models = sorted(scratch_screens["model"].str.extract(r"^train-(.+?)-n\d+", expand=False).dropna().unique())
        handles.append(Line2D([], [], ls="none", marker="s", color="0.6", label=f"{', '.join(models)} from scratch"))
    handles += [Line2D([], [], ls="none", marker="x", color="k", label="failed"),
                Line2D([], [], ls="none", marker="^", markerfacecolor="none", color="k", label="survived (run length)")]
    ax2.set_yscale("log")
    ax2.set_xlabel("temperature (K)")
    ax2.set_ylabel("time to first failure (ps)")
    ax2.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize=7)
    fig.tight_layout()
    return fig
