# %% [markdown]
# # 7. How far does production MD leave the training data? A committee monitor
#
# Three models of one architecture trained on all training configurations with different seeds
# (the largest learning-curve runs) agree where the data constrain them and disagree where the
# production model extrapolates. We evaluate their force disagreement σ (largest per-atom
# standard deviation of the force vector in a frame) on the DFT test set — the in-distribution
# reference — and every `every_ps` along each production MD run.

# %% tags=["parameters"]
group = "learning_curve_s2"   # training runs to draw the committee from (their largest n_train)
every_ps = 1.0
model_path = ""               # "": the production model (selects the MD runs)

# %%
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import committee, data, learning_curve, model, paths, plotting, runs, temperature_series

warnings.simplefilter("always")
model_paths = committee.members(paths.runs_dir(), group)
table = learning_curve.collect(paths.runs_dir(), group)
members = table[table["n_train"] == table["n_train"].max()]
model_file = Path(model_path) if model_path else paths.production_model()
used, excluded = temperature_series.collect_runs(paths.runs_dir(), model.file_sha256(model_file))
test_sigma = committee.force_disagreement(model_paths, data.read_extxyz(paths.test_xyz()))
along = pd.DataFrame(committee.along_runs(model_paths, used, every_ps))
reference = float(np.percentile(test_sigma, 95))
members[["run_name", "n_train", "seed", "test_force_rmse_meV_per_A"]]

# %%
per_T = along.groupby("temperature_K")["sigma_max_eV_A"].agg(
    median="median", p95=lambda s: float(np.percentile(s, 95)), max="max").reset_index()
per_T["fraction_above_test_p95"] = along.groupby("temperature_K")["sigma_max_eV_A"].apply(
    lambda s: float(np.mean(s > reference))).values
plotting.save(plotting.committee(along, reference), "committee")
runs.write_json(paths.derived_dir() / "committee.json", {
    "members": [str(p.relative_to(paths.ROOT)) if p.is_relative_to(paths.ROOT) else str(p) for p in model_paths],
    "test_sigma_eV_A": {"median": float(np.median(test_sigma)), "p95": reference, "max": float(test_sigma.max())},
    "per_temperature": per_T.to_dict(orient="records"), "every_ps": every_ps, **runs.provenance()})
per_T

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

hot = per_T.iloc[-1]
Markdown(f"""
**Does production MD stay where the data are?** On the DFT test set the committee disagreement σ has a
median of {np.median(test_sigma) * 1000:.0f} meV/Å and a 95th percentile of {reference * 1000:.0f} meV/Å. Along
the MD runs its median rises from {per_T['median'].iloc[0] * 1000:.0f} meV/Å at {per_T['temperature_K'].iloc[0]:g} K
to {hot['median'] * 1000:.0f} meV/Å at {hot['temperature_K']:g} K, and {hot['fraction_above_test_p95']:.0%} of the
frames at {hot['temperature_K']:g} K lie above the test set's 95th percentile (largest σ
{per_T['max'].max() * 1000:.0f} meV/Å). Higher temperatures extrapolate more; the committee is of a smaller
architecture than the production model, so σ ranks configurations by novelty rather than giving the
production model's error.
""")
