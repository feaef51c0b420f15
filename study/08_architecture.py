# %% [markdown]
# # 8. Accuracy against speed: which architecture?
#
# Candidate MACE architectures differ in one setting at a time from a reference (32 channels,
# messages of order L = 0, a 5 Å cutoff, spherical harmonics up to ℓ = 3): cutoff 4.0 / 4.5 / 6.0 Å, ℓ ≤ 2,
# 64 channels, messages with L = 1, plus the
# cheap pair 4.0 Å with max ℓ 2. Each is
# trained on the same 160 configurations with the same budget (same epochs, same stage two,
# seed 1), so differences come from the architecture. Accuracy is the test-set force RMSE; speed
# is MD steps per CPU-second of the trained model on one thread (83 atoms, float32), as ns/day.

# %% tags=["parameters"]
candidates = ""        # space-separated training-run names (the Makefile's ARCH_LIST)
steps = 40             # MD steps per timing repeat
repeats = 3
timestep_fs = 2.0
remeasure = False      # True: time every model again (timings are kept in derived/measurements/md_speed.json)
plan_file = "study/plan.toml"  # the run plan: which architecture the production model has

# %%
import re

import pandas as pd

from analysis import architecture, data, paths, plan, plotting, runs

names = candidates.split()
if len(names) < 2:
    raise ValueError(f"candidates={candidates!r}: need at least two training runs to compare")
table = architecture.collect([paths.run_dir(n) for n in names])
table = architecture.measure_speed(table, data.read_extxyz(paths.test_xyz())[0], steps, repeats, timestep_fs, remeasure)
front = architecture.pareto(table)
table["pareto"] = front.values
plotting.save(plotting.architecture(table, front), "architecture")
runs.write_json(paths.derived_dir() / "architecture.json",
                {"candidates": table.to_dict(orient="records"), "timestep_fs": timestep_fs, **runs.provenance()})
table[["architecture", "test_force_rmse_meV_per_A", "test_energy_rmse_meV_per_atom", "ns_per_day_per_core",
       "train_wall_time_s", "pareto"]]

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

ref = table.iloc[0]
rel = table.assign(speedup=table["ns_per_day_per_core"] / ref["ns_per_day_per_core"],
                   error_ratio=table["test_force_rmse_meV_per_A"] / ref["test_force_rmse_meV_per_A"])
lines = "\n".join(f"- {r.architecture}: {r.test_force_rmse_meV_per_A:.1f} meV/Å, {r.ns_per_day_per_core:.2f} ns/day "
                  f"({r.speedup:.2f}× the speed, {r.error_ratio:.2f}× the error of {ref['architecture']})"
                  + (" — no other candidate is both faster and more accurate" if r.pareto else "") for r in rel.itertuples())
best = rel.loc[rel["test_force_rmse_meV_per_A"].idxmin()]
fastest = rel.loc[rel["ns_per_day_per_core"].idxmax()]
chosen = plan.load(paths.ROOT / plan_file)["production"]["architecture"]
# notebook 7's screens without a core repulsion, per candidate (its runs at 640-750 K, the faster architectures')
screens = pd.DataFrame(runs.read_json(paths.derived_dir() / "stability.json")["table"])
plain = screens[~screens["core_repulsion"].astype(bool) & screens["temperature_K"].isin([640, 750])]
plain = plain.assign(architecture=plain["model"].map(  # train-c32-L0-r5-n160-seed1-ep40-s2-noZBL -> c32-L0-r5-noZBL
    lambda name: re.sub(r"-n\d+-seed\d+-ep\d+(-s2)?", "", name.removeprefix("train-"))))
by_arch = plain.groupby("architecture")[["n_runs", "n_failed"]].sum()
screens_text = ("in notebook 7's plain NVT screens at 640–750 K without a core repulsion, "
                + ", ".join(f"{a} failed {int(r.n_failed)} of {int(r.n_runs)} runs" for a, r in by_arch.iterrows())
                + f"; {chosen} from scratch needed the core repulsion too (notebook 7), its fine-tuned version (notebook 9) "
                  "runs the fitted MD without it") if len(by_arch) else "notebook 7 screened none"
row = rel[rel["architecture"] == chosen]
choice = ("" if row.empty else
          f"**Our choice: {chosen}**, the study's production architecture (notebook 2 trains it longer, on the same data)"
          + (", the most accurate here" if chosen == best["architecture"] else "")
          + f", at {row.iloc[0]['speedup']:.2f}× the speed of {ref['architecture']}: {screens_text}; so accuracy and "
          "stability are worth more than speed, and notebook 9 tries to get both by pre-training.")
Markdown(f"""
**What does each setting cost and buy?** Against {ref['architecture']} (first row):

{lines}

The most accurate candidate is {best['architecture']} ({best['test_force_rmse_meV_per_A']:.1f} meV/Å at
{best['ns_per_day_per_core']:.2f} ns/day); the fastest is {fastest['architecture']}
({fastest['ns_per_day_per_core']:.2f} ns/day at {fastest['test_force_rmse_meV_per_A']:.1f} meV/Å).

**Which model would you run MD with, and why is test error not enough to decide?** The speed buys statistics:
D needs hundreds of ps per temperature, so {fastest['speedup']:.1f}× the speed is {fastest['speedup']:.1f}× the hops
counted for the same cost. But every candidate was tested on held-out snapshots of the same
{data.AIMD_TEMPERATURE_K:.0f} K trajectory it was trained on; MD at other temperatures visits configurations none
of them saw. Whether a candidate keeps the structure intact there is
measured by running it (notebook 7), not by its test error. {choice}
""")
