# %% [markdown]
# # 6. MD stability of candidate models: time to first failure
#
# Short NVT runs (no equilibration) of every candidate model at each temperature and several
# velocity seeds, made by notebook 4 under the names `stab-<model>-T<T>-seed<s>`. A run fails
# when two atoms come closer than the limits (1.5 Å, or 75 % of that pair's shortest distance in
# the DFT data), the temperature runs away, or energies become NaN.

# %% tags=["parameters"]
prefix = "stab-"

# %%
from analysis import paths, plotting, runs, stability

df = stability.collect(paths.runs_dir(), prefix)
if df.empty:
    raise RuntimeError(f"{paths.runs_dir()}: no finished stability runs ({prefix}*)")
summary = stability.table(df)
errors = {}
for model in summary["model"].unique():
    evaluation = paths.run_dir(model) / "evaluation.json"
    if evaluation.exists():
        e = runs.read_json(evaluation)
        errors[model] = {k: e[k] for k in ("test_force_rmse_meV_per_A", "test_energy_rmse_meV_per_atom")}
summary

# %%
plotting.save(plotting.stability(df), "stability")
runs.write_json(paths.derived_dir() / "stability.json", {
    "runs": df.to_dict(orient="records"), "table": summary.to_dict(orient="records"),
    "test_errors": errors, **runs.provenance()})
errors

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

lines = []
for model, g in summary.groupby("model"):
    failed = g[g["n_failed"] > 0]
    worst = (f"first failure at {failed['temperature_K'].min():g} K after "
             f"{failed['min_time_to_failure_ps'].min():.1f} ps" if len(failed) else "no failure")
    rmse = errors.get(model, {}).get("test_force_rmse_meV_per_A", float("nan"))
    lines.append(f"- **{model}** (test force RMSE {rmse:.1f} meV/Å, {g['ns_per_day'].median():.2f} ns/day on one "
                 f"core): {int(g['n_failed'].sum())} of {int(g['n_runs'].sum())} runs failed; {worst}.")
Markdown("**Which model and temperatures?** Test error alone does not predict stability:\n\n" + "\n".join(lines))
