# %% [markdown]
# # 4. One NVT MD run with the trained potential
#
# Bussi (CSVR) thermostat, Maxwell–Boltzmann start from a DFT configuration with a seeded RNG,
# equilibration discarded, production frames saved (unwrapped) with a stability monitor.

# %% tags=["parameters"]
temperature_K = 600.0
seed = 1
model_path = ""              # "": the study's production model (data/model/lips_mace.model)
timestep_fs = 2.0
equilibration_ps = 10.0
production_ps = 100.0
sample_interval_fs = 20.0
thermostat = "bussi"          # analysis.md.THERMOSTATS (recorded in settings.json)
thermostat_time_fs = 100.0
chunk_ps = 5.0
start_config_index = 0
supercell = 1                 # the start configuration repeated n x n x n (2: 664 atoms, the finite-size check)
min_distance_A = 1.5          # stop if any two atoms come closer (Å)
pair_min_fraction = 0.75      # also stop below this fraction of each pair's shortest DFT distance
core_repulsion_fraction = 0.0  # > 0: core repulsion below this fraction of each pair's shortest DFT distance
committee_group = ""          # training group whose largest runs form a committee ("": no committee monitor)
committee_every_fs = 1000.0   # how often the committee's force disagreement is evaluated and logged
max_committee_sigma_eV_A = 0.0  # > 0: stop when the disagreement exceeds this (eV/Å)
run_name = ""                # "": named from the parameters, e.g. md-T600-seed1
compile_mode = "none"         # "default": torch.compile the model (1.2-1.3x faster after ~30 s; "none": eager)

# %%
import logging
from pathlib import Path

from analysis import diffusion, md, paths, plotting, run_files, runs, tables

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
settings = md.settings_from_parameters(
    temperature_K=temperature_K, seed=seed, timestep_fs=timestep_fs, equilibration_ps=equilibration_ps,
    production_ps=production_ps, sample_interval_fs=sample_interval_fs, thermostat=thermostat,
    thermostat_time_fs=thermostat_time_fs, chunk_ps=chunk_ps, start_config_index=start_config_index,
    supercell=supercell, min_distance_A=min_distance_A, pair_min_fraction=pair_min_fraction,
    core_repulsion_fraction=core_repulsion_fraction, committee_group=committee_group,
    committee_every_fs=committee_every_fs, max_committee_sigma_eV_A=max_committee_sigma_eV_A)
model = Path(model_path) if model_path else paths.production_model()
run = paths.run_dir(run_name or settings.run_name())
summary = md.run_md(settings, model, run, compile_mode=None if compile_mode == "none" else compile_mode)
tables.fields(summary, ["status", "production_ps", "min_distance_A", "mean_temperature_K", "steps_per_s"])

# %%
rows = run_files.read_thermo(run / "thermo.csv")
fig = plotting.thermo(rows, temperature_K, min_distance_A)
plotting.save(fig, "thermo", run)

# %%
# from the committed positions.npz (every 100 fs), so that the figure is the same in a clone without the trajectory
frames, positions_interval_fs = run_files.read_positions(run) if summary["n_frames"] else ([], 0.0)
if len(frames) >= 3:
    t_ps, msd_A2 = diffusion.msd(frames, positions_interval_fs / 1000)
    fig = plotting.msd_curves({temperature_K: [(t_ps, msd_A2)]})
    plotting.save(fig, "msd", run)

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

from analysis import report_values, structure

status = ("ran its full length without tripping the monitor" if summary["status"] == "done" else
          f"**stopped {run_files.failure_when(summary['failure'], equilibration_ps)}: {summary['failure']['reason']}** — it is "
          "excluded from the diffusion analysis")
any_broken = False
try:  # the saved production frames (every 100 fs): P atoms with fewer than four S neighbours, never in the DFT data
    saved, _ = run_files.read_positions(run)
    broken = structure.undercoordinated(saved) > 0
    any_broken = bool(broken.any())
    integrity = (f"In {broken.mean():.0%} of the {len(saved)} saved frames a P has fewer than four S within "
                 f"{structure.P_S_BOND_CUTOFF_A:g} Å — a broken PS₄ unit, which no DFT configuration has; the diffusion "
                 "analysis (notebook 6) then uses the longest intact stretch or leaves the run out."
                 if broken.any() else "Every PS₄ unit stayed intact in every saved frame.")
except (FileNotFoundError, ValueError):
    integrity = "No production frame was saved."
# the same numbers as the report's introduction (one function for both): make bench measured them
bench_file = paths.derived_dir() / "benchmarks.json"
cost = report_values.benchmark_values(runs.read_json(bench_file) if bench_file.exists() else {},
                                       [{"timestep_fs": timestep_fs}])
aimd = (f"One PBE force call of this cell takes {cost['bench_dft_cpu_s']} CPU-seconds with GPAW "
        f"({cost['bench_dft_mode']}, {cost['bench_dft_scf']} SCF iterations), the MACE model {cost['bench_mlip_ms']} ms: "
        f"{cost['bench_speedup']} times less. 100 ps at {timestep_fs:g} fs would take ab-initio MD at least "
        f"{cost['bench_aimd_100ps_days']} CPU-days, the MLIP {cost['bench_mlip_100ps_hours']} CPU-hours in force calls"
        + (f" ({100e3 / timestep_fs / summary['steps_per_s'] / 3600:.1f} h of wall time at this run's "
           f"{summary['steps_per_s']:.1f} MD steps/s, which add integration, neighbour lists and saving frames)"
           if summary.get("steps_per_s") else "")
        + ", so a temperature series with several seeds of 100 ps each is affordable only with the MLIP."
        if cost["bench_dft_cpu_s"] != "n/a" else "Not measured here (make bench BENCH=dft).")
Markdown(f"""
**Why this thermostat, timestep and length.** Bussi stochastic velocity rescaling samples the canonical
ensemble by rescaling only the total kinetic energy (τ = {thermostat_time_fs:g} fs, about one period of a Li
rattling in its site), so single-particle dynamics — and D — are barely perturbed, unlike Langevin friction on
every atom. The {timestep_fs:g} fs timestep resolves the fastest motion, the P–S stretch of the PS₄ units (Raman
bands near 420 cm⁻¹: an 80 fs period), with about {80 / timestep_fs:.0f} steps per period. {equilibration_ps:g} ps of
equilibration are discarded; {summary['production_ps']:.1f} ps of production were kept.

**Did the run stay physical?** {"No" if summary["status"] != "done" else "Partly" if any_broken else "Yes"}: the run {status}. Mean temperature {summary['mean_temperature_K'] or float('nan'):.0f} K
(target {temperature_K:g} K); the shortest interatomic distance seen was {summary['min_distance_A']:.2f} Å
(threshold {min_distance_A:g} Å). {integrity} Speed: {summary['steps_per_s'] or float('nan'):.1f} MD steps/s.

**Why could this run not be done with ab-initio MD?** {aimd}
""")
