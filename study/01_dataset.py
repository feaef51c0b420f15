# %% [markdown]
# # 1. The dataset: LiPS DFT configurations of Li₂₇P₁₂S₄₄
#
# Download (or find in the cache), verify the pinned sha256, decode, validate and split the
# 200-configuration LiPS dev subset; then look at what it samples.

# %% tags=["parameters"]
n_test = 40          # held-out test configurations (never trained on)
split_seed = 0       # seed of the train/test split
source = "dev"       # "dev": pinned 200-configuration subset; "full": lips.xyz placed in the cache
n_configs = None     # with source "full": how many frames to draw at random (None: all)

# %%
import logging


from analysis import data, explore, paths, plotting, runs, tables

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
split = data.prepare_dataset(n_test=n_test, seed=split_seed, source=source, n_configs=n_configs)
frames = data.read_extxyz(paths.dataset_xyz())
histograms, minima = explore.pair_distances(frames)  # all pairs within 6 Å of every frame (~5 s)
stats = explore.statistics(frames, minima)
stats.update({"name": split["name"], "sha256": split["sha256"], "source": source,
              "n_train": len(split["train_indices"]), "n_test": len(split["test_indices"]),
              "test_indices": split["test_indices"], "split_seed": split_seed})
tables.fields(stats)

# %% [markdown]
# ## Energies and forces

# %%
arr = explore.arrays(frames)
fig = plotting.dataset_overview(arr["energy_per_atom_eV"], arr["forces_eV_A"], arr["symbols"])
plotting.save(fig, "dataset_overview")

# %% [markdown]
# ## Structure: pair-distance distributions
# The shortest distance of each species pair in the DFT data tells us where the model has
# never seen data, and sets the scale for the MD stability monitor.

# %%
fig = plotting.pair_distances(histograms)
plotting.save(fig, "pair_distances")
tables.compact(minima)  # shortest distance of each pair in the data (Å)

# %%
runs.write_json(paths.derived_dir() / "dataset.json", {**stats, **runs.provenance()})

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

m = stats["min_pair_distance_A"]
T_data = data.AIMD_TEMPERATURE_K
Markdown(f"""
**What does the dataset sample?** {stats['n_configs']} configurations of {stats['formula']}
({stats['n_atoms']} atoms, one fixed triclinic cell of {stats['volume_A3']:.0f} Å³), all snapshots of one
ab-initio MD trajectory at {T_data:.0f} K. Energies spread by {stats['energy_per_atom_std_meV']:.2f} meV/atom
(standard deviation over all {stats['n_configs']}; range {stats['energy_per_atom_range_meV']:.1f} meV/atom). The RMS force component is {stats['force_rms_eV_A']:.2f} eV/Å: S
{stats['force_rms_per_element_eV_A']['S']:.2f}, P {stats['force_rms_per_element_eV_A']['P']:.2f} and
Li only {stats['force_rms_per_element_eV_A']['Li']:.2f} eV/Å — Li sits in a soft landscape, which is why it moves.

**Why do forces, not energies, carry most of the information?** Each configuration has one energy but
{3 * stats['n_atoms']} force components, and the energies spread by only
{stats['energy_per_atom_std_meV']:.2f} meV/atom; a model is trained mostly on the forces.

**What does it miss, and what does that mean for MD with a model trained on it?** No volume or composition
changes (no stresses, defects or interfaces), no temperature but {T_data:.0f} K (MD far above it extrapolates),
and no close contacts: the shortest distances seen are Li–Li {m['Li-Li']:.2f}, Li–S {m['Li-S']:.2f}, P–S
{m['P-S']:.2f} and S–S {m['S-S']:.2f} Å. Below these the model has no data at all, hence the ZBL core repulsion in
training and the minimum-distance monitor in MD.
""")
