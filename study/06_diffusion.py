# %% [markdown]
# # 6. Li diffusion over the temperature series and the Arrhenius fit
#
# Every finished MD run made with the production model: Li MSD from unwrapped positions, D with
# kinisi (MSD covariance, Bayesian posterior), runs at one temperature combined, then
# D(T) = D0 exp(−Ea / kB T) fitted by weighted least squares and extrapolated to 300 K.

# %% tags=["parameters"]
plan_file = "study/plan.toml"  # the run plan: which MD runs, their roles, the selection rules
fit_start_ps = 5.0        # start of the diffusive window (after ballistic motion and caging)
model_path = ""           # "": the study's production model
haven_ratio = 1.0         # Nernst-Einstein with tracer D: Haven ratio H_R of 1 assumed
seed = 0                  # kinisi sampling seed
use_committee = True      # leave out runs notebook 5 found outside the trained region
min_intact_ps = 40.0      # analyse runs with broken PS4 units over their longest intact stretch if at least this long
reference_ps = 100.0      # the series' production length: longer runs are also analysed over their first reference_ps

# %%
import warnings
from pathlib import Path

import pandas as pd

from analysis import arrhenius, bench, compute, data, model, paths, plan, plotting, runs, tables, temperature_series

warnings.simplefilter("always")
model_file = Path(model_path) if model_path else paths.production_model()
the_plan = plan.load(paths.ROOT / plan_file)
planned = temperature_series.planned_runs(the_plan, paths.runs_dir(), model_file)
planned_all = plan.md_runs(the_plan)  # made or not
used, excluded = temperature_series.collect_runs(paths.runs_dir(), planned)  # each run checked against its own model
scans = None  # the PS4 scan of every frame, done once by notebook 5
if use_committee:
    monitor = runs.read_json(paths.derived_dir() / "committee.json")
    used, excluded = temperature_series.exclude_extrapolating(used, excluded, monitor["per_run"])
    scans = {e["run_name"]: e for e in monitor["production_events"]}
used, excluded = temperature_series.restrict_to_intact(used, excluded, min_intact_ps, scans)
# the pending series (made in pieces with its own model) and a series the plan has superseded are analysed on their
# own below and never enter this fit
(used, excluded), (pending_used, pending_excluded) = temperature_series.take_role(used, excluded, "pending")
(used, excluded), (previous_used, previous_excluded) = temperature_series.take_role(used, excluded, "previous")
used, excluded = temperature_series.leave_out_probes(used, excluded)
for item in excluded:
    print(f"WARNING: {item['run_name']} excluded: {item['reason']}")
if not used:
    raise RuntimeError(f"{paths.runs_dir()}: no finished MD runs made with {model_file}")
rule = plan.convergence_rule(the_plan)
result = temperature_series.analyse(used, fit_start_ps, seed=seed, reference_ps=reference_ps, convergence_rule=rule)
if rule and rule["enforce"]:  # runs not converged by the plan's rule leave the fit
    result, excluded = temperature_series.leave_out_unconverged(result, excluded)
per_run = pd.DataFrame(result["per_run"])
per_T = pd.DataFrame(result["per_temperature"])
tables.compact(per_run, ["run_name", "temperature_K", "production_ps", "D_cm2_s", "D_err_cm2_s", "msd_exponent",
                         "min_distance_A"])

# %%
dataset = runs.read_json(paths.derived_dir() / "dataset.json")
fit = temperature_series.arrhenius_summary(result["per_temperature"], n_li=data.EXPECTED_COMPOSITION["Li"],
                                           volume_A3=dataset["volume_A3"], haven_ratio=haven_ratio)
conductivity = temperature_series.direct_conductivity(result, fit_start_ps, data.EXPECTED_COMPOSITION["Li"],
                                                     dataset["volume_A3"], seed=seed)
tables.compact(per_T, ["temperature_K", "n_runs", "D_cm2_s", "D_err_cm2_s", "chi2_red", "msd_end_min_A2", "n_converged"])

# %%
pending = temperature_series.analyse_pending(pending_used, pending_excluded, fit_start_ps, rule, n_li=data.EXPECTED_COMPOSITION["Li"],
                                             volume_A3=dataset["volume_A3"], seed=seed,
                                             fit={"runs": used, "per_temperature": result["per_temperature"]})
previous = temperature_series.analyse_previous(previous_used, previous_excluded, fit_start_ps, rule,
                                               n_li=data.EXPECTED_COMPOSITION["Li"], volume_A3=dataset["volume_A3"],
                                               seed=seed, reference_ps=reference_ps)
md_compute = compute.by_set(planned_all, plan.md_sets(the_plan), paths.runs_dir())  # device time per plan set
# a rough estimate of the MD the pending series still needs: D per temperature, the mean of its runs so far, or from
# the fit above where it has none yet (compute.forecast)
md_forecast = None
if pending and rule:
    left = compute.runs_left(planned_all, pending["per_run"], [e["run_name"] for e in pending["excluded"]],
                             paths.runs_dir())
    D_by_T = {float(r["temperature_K"]): arrhenius.extrapolate(fit, r["temperature_K"])[0]
              for r in left if fit is not None}
    D_by_T.update(compute.mean_D_by_T(pending["per_run"]))
    cell_sets = {r["set"] for r in planned_all if r["role"] == "pending" and r["supercell"] == 1}  # as runs_left
    md_forecast = compute.forecast([r for r in left if float(r["temperature_K"]) in D_by_T], D_by_T,
                                   rule["min_msd_A2"], the_plan["md_protocol"]["equilibration_ps"],
                                   compute.cpu_ps_per_core_hour(md_compute, cell_sets))
plotting.save(plotting.msd_curves(result["msd_curves"], per_run["fit_start_ps"].min()), "msd")
left_out = result.get("left_out")  # what the convergence rule took out of the fit, shown beside it
plotting.save(plotting.arrhenius(per_run, per_T, fit, left_out=left_out), "arrhenius")
runs.write_json(paths.derived_dir() / "diffusion.json", {
    "per_run": result["per_run"], "per_temperature": result["per_temperature"], "arrhenius": fit,
    "excluded": excluded, "left_out": left_out, "conductivity": conductivity, "pending": pending, "previous": previous,
    "md_compute": md_compute, "md_forecast": md_forecast, "plan": paths.relative(paths.ROOT / plan_file),
    "plan_sets": plan.md_sets(the_plan),
    "selection": plan.selection(the_plan), "convergence": rule,
    "fit_start_ps": fit_start_ps, "min_intact_ps": min_intact_ps, "reference_ps": reference_ps,
    "model_sha256": model.file_sha256(model_file),
    **runs.provenance()})
tables.compact(fit or {}, ["Ea_eV", "Ea_err_eV", "D0_cm2_s", "chi2_red", "n_temperatures", "D300K_cm2_s",
                           "D300K_err_cm2_s", "sigma300K_S_cm", "sigma300K_err_S_cm"])

# %% [markdown]
# ## Discussion

# %%
import re

from IPython.display import Markdown

from analysis.report_values import (LITERATURE, experiment_gap_values, extrapolation_check, haven_values,
                                    lognormal_range, previous_values)

published = {item["cite"]: item for item in LITERATURE}
experiment, dft_barrier = published["@seino2014"], published["@lepley2012"]
haven = haven_values(conductivity)  # the same numbers the report quotes
bench_file = paths.derived_dir() / "benchmarks.json"
supercell = bench.ratios(runs.read_json(bench_file)).get("664 / 83 atoms (time per MD step)") \
    if bench_file.exists() else None
supercell_cost = (f": one MD step of it takes {supercell:.1f}× the time of the 83-atom cell (make bench)"
                  if supercell else "")
supercell_runs = [r["run_name"] for r in planned_all if (r.get("supercell") or 1) > 1]
finite_size_status = (
    "The finite-size check (the pending series' supercell runs) is below." if (pending or {}).get("finite_size") else
    f"The finite-size test (a 2×2×2 cell of 664 atoms) is being made in pieces by the plan's pending set "
    f"({', '.join(supercell_runs)}){supercell_cost}; no piece has finished yet, so it has no D yet (its work so far: "
    "the cost table)."
    if supercell_runs else f"A finite-size test (a 2×2×2 cell of 664 atoms) was not run{supercell_cost}.")
n_broken = int((per_run["broken_PS4_fraction"] > 0).sum())
spread = per_T[["temperature_K", "chi2_red", "scatter_err_cm2_s", "propagated_err_cm2_s"]]
exps = per_run["msd_exponent"]
left_out = "; ".join(f"{e['run_name']}: {e['reason']}" for e in excluded) or "none"
if rule:
    passed = per_run[per_run["converged"] == True]  # noqa: E712
    grid = rule.get("max_grid_pull") is not None
    convergence_text = (
        f"{len(passed)} of {len(per_run)} runs pass the rule declared in the plan before the converged series"
        f"{' (its lag-grid check added while that series ran)' if grid else ''}: MSD ≥ "
        f"{rule['min_msd_A2']:g} Å² at the end of the fit window (a hop between Li sites is 2.5–3 Å, so a few hops per "
        f"Li), the slope of MSD against t over the window's second half ≥ {rule['min_slope_ratio']:g} of that over its "
        "first half (1 for diffusion whatever the vibrational plateau, about 0.6 for caged MSD ∝ √t motion), and D of the "
        f"run's two halves within {rule['max_halves_pull']:g} σ"
        + (f", and D fitted again on a coarser grid of time lags within {rule['max_grid_pull']:g} σ (kinisi's "
           "generalised least squares can fail on a nearly singular covariance of the MSD)" if grid else "")
        + ". Per run, MSD at the end of the fit window, the late over early MSD slope and the halves' difference"
        + (" and the change of D on the coarser grid" if grid else "") + ": " + "; ".join(
            f"{r.run_name} {r.msd_end_A2:.1f} Å², {r.msd_slope_ratio:.2f}, {r.halves_pull:+.1f} σ"
            + (f", {r.grid_pull:+.1f} σ" if grid else "") for r in per_run.itertuples())
        + (". The rule is enforced: runs that fail it are left out above." if rule["enforce"] else
           ". The rule is not enforced for this series (made before it): these runs are all in the fit, and the "
           "failures say where D is not yet converged."))
else:
    convergence_text = "the plan declares no convergence rule."
runs_per_T = "–".join(dict.fromkeys(str(n) for n in (per_T["n_runs"].min(), per_T["n_runs"].max())))  # "3" or "2–5"
# the report's sentence, naming the models by their training runs (None: the production model) where the report
# names the from-scratch twin by its role; its 10^n^ (Pandoc superscript) written as e-notation
previous_models = (previous or {}).get("models") or []
changed = previous_values(fit, previous, " and ".join(m or "the production model" for m in previous_models))["previous_sentence"]
changed = re.sub(r" × 10\^(−?\d+)\^", r"e\1", changed)
changed = f"\n**What changed from the series this fit replaced?**{changed}\n" if changed else ""
text = f"""
**Which runs are in the analysis?** {len(per_run)} runs at {', '.join(f'{T:g}' for T in per_T['temperature_K'])} K.
Left out: {left_out}.

**Over which window is the MSD diffusive?** We fit from {per_run['fit_start_ps'].min():g} ps to half of each
run ({per_run['fit_end_ps'].min():g}–{per_run['fit_end_ps'].max():g} ps). In that window the log-log MSD slope is
{exps.min():.2f}–{exps.max():.2f} (1 = diffusive). This slope is biased low by the vibrational plateau of the MSD
(a constant added to a line bends it on a log-log plot), so it cannot decide convergence alone; the plan's rule
below uses the ratio of the MSD's linear slopes instead.

**How uncertain is each D?** kinisi's posterior gives relative errors of
{(per_run['D_err_cm2_s'] / per_run['D_cm2_s']).min():.0%}–{(per_run['D_err_cm2_s'] / per_run['D_cm2_s']).max():.0%}
per run. Between independent runs at one temperature the reduced χ² of the spread is
{', '.join(f"{c:.1f}" for c in per_T['chi2_red'].dropna()) or 'not available (one run per temperature)'}; the
per-temperature error bar is the larger of the propagated error and the run-to-run standard error, so it is not
smaller than the scatter shows.

**Is the run length enough?** {'; '.join(
    f"{r.run_name} ({r.analysed_ps:.0f} ps): D = {r.D_cm2_s:.2e} ± {r.D_err_cm2_s:.1e} cm²/s, over its first "
    f"{r.first_window_ps:g} ps {r.D_first_cm2_s:.2e} ± {r.D_first_err_cm2_s:.1e} ({r.D_first_change:+.0%})"
    for r in per_run.itertuples() if pd.notna(r.D_first_change))
 or f"no run is longer than {reference_ps:g} ps, so this was not tested"}. A difference well outside the errors
means the {reference_ps:g}-ps runs at that temperature have not converged.

**Is D converged by the plan's rule?** {convergence_text}
{changed}

**Is the Haven ratio 1?** σ measured directly from the collective Li displacement of the pooled runs, against the
Nernst–Einstein σ of the tracer D: {'; '.join(
    f"{c['temperature_K']:g} K: {c['sigma_S_cm'] * 1000:.0f} ± {c['sigma_err_S_cm'] * 1000:.0f} against "
    f"{c['sigma_NE_S_cm'] * 1000:.0f} ± {c['sigma_NE_err_S_cm'] * 1000:.0f} mS/cm, H_R = {c['haven_ratio']:.2f} ± "
    f"{c['haven_ratio_err']:.2f} ({c['pooled_ps']:.0f} ps pooled)" for c in conductivity)}. The collective
displacement is one number per run where the tracer MSD averages 27 ions, so the direct σ is far noisier; where its
relative error exceeds about 50 % one temperature says little. {haven['haven_n_below']} of {haven['haven_n']} temperatures
lie below 1 by more than their error (H_R = {haven['haven_lo']}–{haven['haven_hi']}), a sign of correlated hops, which
would raise σ above the Nernst–Einstein value; with {runs_per_T} runs per temperature the collective displacement rests on few
independent numbers, so σ at 300 K below is still given for H_R = {haven_ratio:g} and the measured ratios beside it.

**Finite size and statistics.** The cell holds {data.EXPECTED_COMPOSITION['Li']} Li, and by the end of the fit window a Li has moved
{per_run['rms_displacement_at_fit_end_A'].min():.1f} Å (RMS, slowest run at
{per_run.loc[per_run['rms_displacement_at_fit_end_A'].idxmin(), 'temperature_K']:g} K) to
{per_run['rms_displacement_at_fit_end_A'].max():.1f} Å (fastest): a few Å means only a few hops per ion, so the
lowest temperatures carry the largest relative errors. {finite_size_status}

**Did the model keep the PS4 units intact?** {n_broken} of {len(per_run)} {'run has' if n_broken == 1 else 'runs have'}
frames with a P bonded to fewer than four S within 3 Å, which no DFT configuration has (largest fraction
{per_run['broken_PS4_fraction'].max():.1%}, {per_run.loc[per_run['broken_PS4_fraction'].idxmax(), 'run_name']}).
Such runs are analysed over their longest intact stretch when it lasts at least {min_intact_ps:g} ps and are left
out otherwise. D from all frames instead:
{'; '.join(f"{r.run_name} {r.D_full_cm2_s:.2e} vs {r.D_cm2_s:.2e} cm²/s ({r.analysed_ps:.0f} ps analysed)"
           for r in per_run.itertuples() if r.D_full_cm2_s == r.D_full_cm2_s and r.D_full_cm2_s is not None)
 or 'no run needed it'}.
"""
pending_sets = [x for x in plan.md_sets(the_plan) if x["role"] == "pending"]
if pending_sets:
    made = [r for r in (pending["per_run"] if pending else []) if r["supercell"] == 1]  # supercells: below
    declared = [r for r in planned_all if r["role"] == "pending" and r["supercell"] == 1]
    text += f"""
**The pending sets, so far.** The plan's pending sets ({'; '.join(
        ', '.join(x['set'] for x in pending_sets if x.get('model') == m) + ' with ' + str(m or 'the production model')
        for m in dict.fromkeys(x.get('model') for x in pending_sets))};
{sum(x.get('core_hours', 0) for x in pending_sets)} core-hours declared) are made piece by piece by `make series` (the supercell
runs by `make finite-size`) and analysed here apart
from the fit above: {(f"{len(made)} of their {len(declared)} runs in the {data.EXPECTED_COMPOSITION['Li']}-Li cell finished so far"
    if declared else "their runs are all supercell runs (the finite-size check)")}{(
        ': ' + '; '.join(f"{r['run_name']} ({r['analysed_ps']:.0f} ps): D = {r['D_cm2_s']:.2e} ± {r['D_err_cm2_s']:.1e} cm²/s, MSD "
                         f"{r['msd_end_A2']:.1f} Å² at the end of the fit window, "
                         f"{temperature_series.pending_state(r)}" for r in made)) if made else ''}{(
        '; left out by the rules: ' + '; '.join(f"{e['run_name']} ({e['reason']})" for e in pending['excluded']))
        if pending and pending['excluded'] else ''}. Made so far for them, per set (one thread per run,
both cores of this machine busy; a supercell step moves 8 times the atoms of an 83-atom one, so the rates are per set): {'; '.join(
        f"{c['set']} {c['simulated_ps']:.0f} ps of MD" + (
            f", {c['cpu_ps']:.0f} ps in {c['cpu_core_hours']:.1f} CPU core-hours ({c['cpu_ns_per_day_per_core']:.2f} "
            "ns/day per core)" if c['cpu_core_hours'] else '') + (
            f", {c['gpu_ps']:.0f} ps in {c['gpu_hours']:.2f} GPU hours on lent GPU machines" if c['gpu_hours'] else '')
        for c in md_compute if c['role'] == 'pending')}; the table at the end gives every set.
"""
    if md_forecast:
        short = [r for r in md_forecast if r["n_capped_short"]]
        ps_left = sum(r["ps_left"] for r in md_forecast)
        hours_left = sum(r["core_hours_left"] or 0 for r in md_forecast)
        text += f"""
**What is left, roughly.** If the Li MSD of every run keeps growing as 6 D t, with D the mean of its temperature's
runs so far (from the fit above where none has finished yet), the rule's {rule['min_msd_A2']:g} Å² at the end of the
fit window (half the run) needs runs of about {'; '.join(f"{r['needed_ps']:.0f} ps at {r['temperature_K']:g} K"
        for r in md_forecast if r['ps_left'] > 0)}. Doubled piece by piece up to {max(x['cap_ps'] for x in left):g} ps,
the series still needs about {ps_left / 1000:.1f} ns of MD, {hours_left:.0f} core-hours at the rate measured so far
({ps_left / hours_left if hours_left else float('nan'):.0f} ps per core-hour){(': ' + '; '.join(
        f"at {r['temperature_K']:g} K {r['n_capped_short']} of {r['n_runs']} runs would reach the cap short of it"
        for r in short)) if short else ''}. The plateau left out of 6 D t makes this err long; the halves, slope and
grid tests can add doublings, and a D that rises as runs lengthen shortens them.
"""
    finite = (pending or {}).get("finite_size") or []
    text += "".join(f"""
**Finite size at {r['temperature_K']:g} K.** In the {r['supercell']}×{r['supercell']}×{r['supercell']} supercell
({r['n_atoms']} atoms, {r['n_runs_supercell']} run(s)) D =
{r['D_supercell_cm2_s']:.2e} ± {r['D_supercell_err_cm2_s']:.1e} cm²/s{(
        f", {r['ratio']:.2f} times the 83-atom cell's {r['D_cell_cm2_s']:.2e} ± {r['D_cell_err_cm2_s']:.1e} cm²/s "
        f"({r['pull']:+.1f} combined standard deviations: "
        f"{'no size effect at this precision' if abs(r['pull']) <= 2 else 'a size effect larger than the errors'})")
        if r['D_cell_cm2_s'] is not None else ', with no 83-atom run at this temperature yet'}.
""" for r in finite)

if fit is not None:
    gap = experiment_gap_values(fit)  # the numbers the report quotes, from the same function
    # 300 K measured directly against the Arrhenius law of the other temperatures (the report's comparison)
    check = extrapolation_check({"diffusion_per_temperature": result["per_temperature"],
                                 "diffusion_left_out": result.get("left_out"), "diffusion_pending": pending,
                                 "arrhenius": fit})
    T_low, T_high = fit["T_range_K"]
    made = " and ".join(f"{x:g}" for x in (check or {}).get("made_ps") or [])
    held_out_text = "" if check is None or check["pull"] is None else "\n" + {
        "fit": f"""300 K is itself in the series, so the extrapolation can be tested: fitted without it (Ea =
{check['Ea_eV']:.3f} ± {check['Ea_err_eV']:.3f} eV), the hotter temperatures predict D(300 K) =""",
        "left out": "The convergence rule left the 300 K runs out of the fit, so they test it: it predicts D(300 K) =",
        "pending": f"""The 300 K runs are pending ({made} ps{' so far' if check['still_running'] else ''}: {'; '.join(
            f"{r['run_name']} {temperature_series.pending_state(r)}" for r in pending['per_run']
            if r['temperature_K'] == 300 and r['supercell'] == 1)}), so they
test the fit: it predicts D(300 K) ="""}[check["where"]] + f"""
{check['D_predicted_cm2_s']:.2e} ± {check['D_predicted_err_cm2_s']:.1e} cm²/s against the
{check['D_cm2_s']:.2e} ± {check['D_err_cm2_s']:.1e} measured, {check['pull']:+.2f} combined standard
deviations apart in ln D."""
    extrapolation_text = ("" if T_low <= 300 else f"; and an extrapolation over {T_low - 300:g} K, "
                          f"{(1 / 300 - 1 / T_low) / (1 / T_low - 1 / T_high):.1f} times the fitted span in 1/T")
    sigma_low, sigma_high = lognormal_range(fit["sigma300K_S_cm"] * 1000, fit["sigma300K_err_S_cm"] / fit["sigma300K_S_cm"])
    text += f"""
**Is it Arrhenius?** Over {fit['T_range_K'][0]:g}–{fit['T_range_K'][1]:g} K the fit gives
Ea = {fit['Ea_eV']:.3f} ± {fit['Ea_err_eV']:.3f} eV and D0 = {fit['D0_cm2_s']:.2e} cm²/s (reduced χ²
{fit['chi2_red']:.2f}; {"above 1: curvature or underestimated errors, so the fit's errors were scaled up by √χ²"
    if fit['chi2_red'] > 1 else "at most 1: the points scatter no more than their errors, which the fit keeps"}).
{'At' if T_low <= 300 else 'Extrapolated to'} 300 K: D = {fit['D300K_cm2_s']:.2e} ± {fit['D300K_err_cm2_s']:.1e} cm²/s and, with Haven ratio
{haven_ratio:g}, σ = {fit['sigma300K_S_cm'] * 1000:.0f} mS/cm (1σ range {sigma_low:.1f}–{sigma_high:.1f}: D0, D and σ are
log-normal).{held_out_text}

**How does Ea compare with experiment, and why might it differ?** Experiment on the Li7P3S11 glass-ceramic gives
{experiment['sigma300K_mS_cm']:g} mS/cm and {experiment['Ea_eV']:g} eV (Seino et al. 2014); the DFT barrier of one Li
vacancy hop in crystalline Li7P3S11 is {dft_barrier['Ea_eV']:g} eV (Lepley and Holzwarth 2012; one hop, without defect
formation). Our σ(300 K) is {gap['sigma_ratio']}× the measured one; our barrier is {gap['Ea_gap_meV']} meV {gap['Ea_gap_comparative']}, which
alone makes D at 300 K {gap['Ea_gap_effect']}, leaving a factor {gap['sigma_rest']} in σ. Candidate reasons for it: another composition (Li6.75
here) in one crystal-derived cell while the glass-ceramic has a glassy fraction and grain boundaries that slow the
ions; few hops per Li at the lowest temperatures (MSD slope down to {exps.min():.2f}, runs scattering up to a reduced
χ² of {per_T['chi2_red'].max():.1f}); PBE barriers; the Haven ratio (correlated hops, H_R < 1, would raise the
computed σ further){extrapolation_text}.
"""
Markdown(text)

# %% [markdown]
# **What the MD cost**, per set of the plan: runs started of those planned, simulated ps (equilibration included),
# CPU core-hours and GPU hours as the runs' checkpoints record them (a piece's start-up and work lost after its last
# checkpoint are not counted), the CPU's ns/day per core and the core-hours each pending set declared
# (`diffusion.json` → `md_compute` has every column, the ps made on GPUs too).

# %%
tables.compact([{"set": c["set"], "runs": f"{c['runs_started']}/{c['runs_planned']}", "ps": c["simulated_ps"],
                 "core-h": c["cpu_core_hours"], "GPU h": c["gpu_hours"], "ns/day": c["cpu_ns_per_day_per_core"],
                 "declared": c["declared_core_hours"]} for c in md_compute])  # narrow enough for the PDF

# %% [markdown]
# **What the pending series still needs**, per temperature (the estimate above, `diffusion.json` → `md_forecast`): D
# assumed (cm²/s, the mean of the runs so far), the run length at which the MSD reaches the rule's limit, the lengths the runs reach by doubling,
# the ps still to make (equilibration included) and the core-hours at the measured rate.

# %%
tables.compact([{"T (K)": r["temperature_K"], "runs": r["n_runs"], "D assumed": r["D_assumed_cm2_s"],
                 "needed ps": r["needed_ps"], "lengths": "/".join(f"{x:g}" for x in r["target_ps"]),
                 "ps left": r["ps_left"], "core-h": r["core_hours_left"]} for r in md_forecast or []])
