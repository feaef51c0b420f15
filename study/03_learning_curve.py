# %% [markdown]
# # 3. Learning curve: test error against training-set size
#
# Collects every training run made by notebook 2 with `group="learning_curve"` (same
# architecture, same 40-configuration test set, random training subsets drawn with different
# seeds, the same number of gradient updates per run) and fits the log-log slope.

# %% tags=["parameters"]
group = "learning_curve"
pretrained_runs = ""   # space-separated: the same curve fine-tuned from a pre-trained model (notebook 9), if any

# %%
from analysis import learning_curve, paths, plotting, runs

table = learning_curve.collect(paths.runs_dir(), group)
if table.empty:
    raise RuntimeError(f"{paths.runs_dir()}: no finished learning-curve runs (group '{group}')")
fits = {c: learning_curve.fit_slope(table["n_train"], table[c]) for c in learning_curve.COLUMNS}
pretrained = learning_curve.collect(paths.runs_dir(), names=(pretrained_runs or "").split())  # "" arrives as None
pretrained_fits = ({c: learning_curve.fit_slope(pretrained["n_train"], pretrained[c]) for c in learning_curve.COLUMNS}
                   if pretrained["n_train"].nunique() >= 2 else {})
table.sort_values(["n_train", "seed"])

# %%
fig = plotting.learning_curve(table, fits, pretrained, pretrained_fits)
plotting.save(fig, "learning_curve")

# %%
runs.write_json(paths.derived_dir() / "learning_curve.json",
                {"runs": table.to_dict(orient="records"), "fits": fits,
                 "pretrained": {"runs": pretrained.to_dict(orient="records"), "fits": pretrained_fits},
                 **runs.provenance()})
fits

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

f = fits["test_force_rmse_meV_per_A"]
e = fits["test_energy_rmse_meV_per_atom"]
largest = table["n_train"].max()
force_at_largest = table.loc[table["n_train"] == largest, "test_force_rmse_meV_per_A"].mean()
sizes = sorted(table["n_train"].unique())
shape = ""
upper = ""  # what the upper end's own slope would give, where it is flatter than the fit over all sizes
if len(sizes) >= 4:
    middle = sizes[len(sizes) // 2]
    low, high = (learning_curve.fit_slope(g["n_train"], g["test_force_rmse_meV_per_A"])["slope"]
                 for g in (table[table["n_train"] <= middle], table[table["n_train"] >= middle]))
    shape = (f"The force slope is {low:.2f} up to {middle} configurations and {high:.2f} above. Every size gets the "
             "same number of gradient updates, so the largest sets see each configuration least often: the flatter "
             "upper end may partly reflect that budget rather than the data." if high > low else
             f"The force slope is {low:.2f} up to {middle} configurations and {high:.2f} above: no sign of saturation.")
    if high > f["slope"]:
        upper = f" at best: the slope above {middle} configurations ({high:.2f}) would give only {10 ** high:.2f}"
pretrained_text = "not run (the plan's `[pretraining] learning_curve_seeds` is empty)"
if len(pretrained):
    paired = pretrained.merge(table, on=["n_train", "seed"], suffixes=("_pt", ""))
    pretrained_text = "; ".join(
        f"N = {r.n_train} (seed {r.seed}): {r.test_force_rmse_meV_per_A:.0f} → {r.test_force_rmse_meV_per_A_pt:.0f} meV/Å"
        for r in paired.sort_values(["n_train", "seed"]).itertuples())
    if pretrained_fits:
        pf = pretrained_fits["test_force_rmse_meV_per_A"]
        pretrained_text += (f". Fitted over its sizes, the pre-trained curve's force slope is {pf['slope']:.2f} ± "
                            f"{pf['slope_err']:.2f} (from scratch {f['slope']:.2f})")
Markdown(f"""
**What does the learning curve say about data efficiency?** Force errors fall as N^{f['slope']:.2f}±{f['slope_err']:.2f} and energy errors as
N^{e['slope']:.2f}±{e['slope_err']:.2f} over {table['n_train'].min()}–{largest} training configurations
({len(table)} runs). Every configuration carries {83 * 3} force components, so even 10 configurations hold
thousands of force labels. {shape}

**What 10× more data would buy.** Extrapolating the power law, 10× more configurations would scale the
force RMSE by {10 ** f['slope']:.2f}, from {force_at_largest:.0f} to about
{force_at_largest * 10 ** f['slope']:.0f} meV/Å{upper} — and only for configurations like these (520 K, one cell).
For stable MD at other temperatures, *different* data (active learning where MD leaves the training
distribution) would help more than more of the same.

**Does pre-training on a teacher's labels (notebook 9) buy data efficiency?** The same runs fine-tuned from the
model pre-trained on the synthetic set, test force RMSE from scratch → pre-trained: {pretrained_text}.
""")
