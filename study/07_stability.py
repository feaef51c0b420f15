# %% [markdown]
# # 7. MD stability of candidate models: time to first failure
#
# Short NVT runs (no equilibration) of every candidate model at each temperature and several
# velocity seeds, made by notebook 4 under the names `stab-<model>-T<T>-seed<s>`. A run fails
# when two atoms come closer than the limits (1.5 Å, or 75 % of that pair's shortest distance in
# the DFT data), the temperature runs away, or energies become NaN.

# %% tags=["parameters"]
plan_file = "study/plan.toml"    # the run plan: its production MD runs are the longer test below
prefix = "stab-"
nve_timesteps_fs = [1.0, 2.0]   # timestep check: NVE energy drift of each candidate model
nve_duration_ps = 1.0
nve_temperature_K = 800.0

# %%
from analysis import paths, plotting, run_files, runs, stability, tables

out_file = paths.derived_dir() / "stability.json"
# NVE checks are deterministic (seeded): reuse those of an earlier run for the same model file and settings
previous_nve = runs.read_json(out_file).get("nve", []) if out_file.exists() else []
df = stability.collect(paths.runs_dir(), prefix)
if df.empty:
    raise RuntimeError(f"{paths.runs_dir()}: no finished stability runs ({prefix}*)")
summary = stability.table(df)
errors = stability.test_errors(paths.runs_dir(), summary["model"].unique())
tables.compact(summary.assign(model=summary["model"].str.removeprefix("train-")),
               ["model", "core_repulsion", "temperature_K", "n_runs", "n_failed", "min_time_to_failure_ps", "ns_per_day"])

# %%
plotting.save(plotting.stability(df), "stability")
runs.write_json(out_file, {
    "runs": df.to_dict(orient="records"), "table": summary.to_dict(orient="records"),
    "test_errors": errors, **runs.provenance()})
tables.compact([{"model": name.removeprefix("train-"), **e} for name, e in errors.items()])

# %% [markdown]
# ## Timestep check: NVE energy conservation
# Velocity Verlet without thermostat from a DFT configuration; a good timestep conserves the
# total energy (drift and fluctuation small compared with the thermal energy kT).

# %%
import pandas as pd

from analysis import data

start = data.read_extxyz(paths.test_xyz())[0]
nve = pd.DataFrame(stability.nve_checks(summary["model"].unique(), start, nve_timesteps_fs, nve_duration_ps,
                                        nve_temperature_K, paths.runs_dir(), previous_nve))
runs.write_json(out_file, {**runs.read_json(out_file), "nve": nve.to_dict(orient="records")})
tables.compact(nve, ["model", "timestep_fs", "duration_ps", "drift_meV_per_atom_per_ps", "fluctuation_meV_per_atom", "kT_meV"])

# %% [markdown]
# ## Is the PS₄ breaking physical? DFT on broken and intact frames of the same hot runs
# The plan's `[ps4_dft]` frames (`analysis/ps4_dft.py`, computed by `make ps4-dft` with GPAW PBE; kept per frame):
# Δ = mean E(broken) − mean E(intact) per run, in eV per 83-atom cell, from DFT, the production model and the
# teacher, and the model's error on Δ from its per-frame residuals against DFT.

# %%
from analysis import plan, ps4_dft

ps4_frames = ps4_dft.select(plan.load(paths.ROOT / plan_file))
ps4 = ps4_dft.compare(ps4_frames, ps4_dft.folder() / "dft", ps4_dft.folder() / "teacher.npz",
                      paths.production_model()) if ps4_frames else {"frames": [], "per_run": []}
runs.write_json(out_file, {**runs.read_json(out_file), "ps4_dft": ps4})
tables.compact(ps4["per_run"], ["run", "n_broken", "n_intact", "delta_dft_eV", "delta_dft_err_eV", "delta_model_eV",
                                 "delta_teacher_eV", "delta_model_minus_dft_eV"])

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

lines = []
for (model, core), g in summary.groupby(["model", "core_repulsion"]):
    failed = g[g["n_failed"] > 0]
    first = failed.loc[failed["min_time_to_failure_ps"].idxmin()] if len(failed) else None
    worst = (f"earliest failure after {first['min_time_to_failure_ps']:.1f} ps at {first['temperature_K']:g} K; "
             f"failures at {', '.join(f'{t:g}' for t in sorted(failed['temperature_K']))} K"
             if first is not None else "no failure")
    rmse = errors.get(model, {}).get("test_force_rmse_meV_per_A", float("nan"))
    lines.append(f"- **{model}**{' + core repulsion' if core else ''} (test force RMSE {rmse:.1f} meV/Å, {g['ns_per_day'].median():.2f} ns/day on one "
                 f"core in these runs; notebook 8 times all candidates alike): {int(g['n_failed'].sum())} of {int(g['n_runs'].sum())} runs failed; {worst}.")
best = stability.choose(summary, errors)
if best is not None:
    core = df[(df["model"] == best["model"]) & (df["core_repulsion"] == best["core_repulsion"])]
    active = core["core_active_fraction"].dropna()
    with_core = sorted(df.loc[df["core_repulsion"], "model"].unique())
    only_one = (" (the only model screened with it, so the screen does not say a smaller model with the repulsion would "
                "fail)" if best["core_repulsion"] and len(with_core) == 1 else "")
    import warnings

    from analysis import plan, temperature_series

    the_plan = plan.load(paths.ROOT / plan_file)
    production_run = plan.production_model_run(the_plan)
    became = ("production model" if best["model"] == production_run else
              f"production model of the series the fit replaced (the fit's model is {production_run}, notebook 9)")
    choice = (f"\n\n**The choice.** Only {best['model']}{' with the core repulsion' if best['core_repulsion'] else ''}"
              f"{only_one} ran every temperature up to {best['T_max']:g} K without failure in these short runs, so it became "
              f"the {became}; the DFT data come from 520 K, so above that the model extrapolates and the monitor "
              "stays on in production.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        planned = temperature_series.planned_runs(the_plan, paths.runs_dir(), paths.production_model())
        # the production runs of the model chosen here (the fit's, or the series the fit replaced once a fine-tuned
        # model took over), not the pending ones
        chosen = [r for r in planned if r["role"] != "pending" and plan.run_model(r, the_plan) == best["model"]]
        _, failed_production = temperature_series.collect_runs(paths.runs_dir(), chosen)
    failed_production = [e for e in failed_production if e.get("failure")]
    diffusion_file = paths.derived_dir() / "diffusion.json"
    fitted = []  # the temperatures fitted with the chosen model: the fit's, or the previous series'
    if diffusion_file.exists():
        fits = runs.read_json(diffusion_file)
        fitted = (fits["per_temperature"] if best["model"] == production_run else
                  (fits.get("previous") or {}).get("per_temperature") or [])
    if failed_production:
        choice += (" Longer production runs are the stricter test: "
                   + "; ".join(f"{e['run_name']} failed {run_files.failure_when(e['failure'], e['equilibration_ps'] or 0.0)} ({e['failure']['reason']})"
                               for e in failed_production)
                   + ". " + stability.window_sentence(min(e["temperature_K"] for e in failed_production),
                                                   max((r["temperature_K"] for r in fitted), default=None)))
    if len(active):
        choice += (f" In these stability screens the core repulsion acted in {active.mean():.2%} of the recorded samples (largest energy "
                   f"{core['core_max_eV'].max():.3f} eV): it stops rare collapses without reshaping the sampled surface.")
else:
    best = None
    choice = "\n\n**The choice.** No candidate survived every run: none is fit for production MD yet."
nve_model = nve[nve["model"] == best["model"]] if best is not None else nve
worst_nve = nve_model.loc[nve_model["timestep_fs"].idxmax()]
ps4_text = ""
complete = [r for r in ps4["per_run"] if "delta_dft_eV" in r]
if complete:
    ps4_text = ("\n\n**Is the PS₄ breaking physical?** GPAW PBE on " + "; ".join(
        f"{r['n_broken']} broken and {r['n_intact']} intact frames of {r['run']}: Δ = E(broken) − E(intact) = "
        f"{r['delta_dft_eV']:+.2f} ± {r['delta_dft_err_eV']:.2f} eV per cell from DFT, {r['delta_model_eV']:+.2f} ± "
        f"{r['delta_model_err_eV']:.2f} from the production model"
        + (f", {r['delta_teacher_eV']:+.2f} ± {r['delta_teacher_err_eV']:.2f} from the teacher" if "delta_teacher_eV" in r else "")
        + f"; the model's error on Δ {r['delta_model_minus_dft_eV']:+.2f} ± {r['delta_model_minus_dft_err_eV']:.2f} eV"
        for r in complete) + ". " + ps4_dft.verdict(complete))
Markdown("**Which model, and what sets the temperature window?** Test error alone does not predict stability:\n\n" + "\n".join(lines) + choice
         + f"\n\n**Timestep.** In NVE at {nve_temperature_K:g} K, {worst_nve['model']} with a {worst_nve['timestep_fs']:g} fs step the total energy "
         f"drifts by {worst_nve['drift_meV_per_atom_per_ps']:.3f} meV/atom/ps and fluctuates by "
         f"{worst_nve['fluctuation_meV_per_atom']:.3f} meV/atom, against the thermal energy kT = {worst_nve['kT_meV']:.0f} meV." + ps4_text)
