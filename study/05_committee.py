# %% [markdown]
# # 5. How far does production MD leave the training data? A committee monitor
#
# Three models of one architecture trained on all training configurations with different seeds
# (the largest learning-curve runs) agree where the data constrain them and disagree where the
# production model extrapolates. We evaluate their force disagreement σ (largest per-atom
# standard deviation of the force vector in a frame) on the DFT test set — the in-distribution
# reference — and every `every_ps` along each production MD run. A run whose disagreement exceeds
# `limit_factor` times the test set's 95th percentile has left the trained region: notebook 6 leaves
# it out of the diffusion analysis, as the live monitor of notebook 4 would have stopped it. Along the
# way we count P atoms that have lost an S neighbour (no such P exists in the DFT data).

# %% tags=["parameters"]
plan_file = "study/plan.toml"  # the run plan: the MD runs to monitor
group = "learning_curve_s2"   # training runs to draw the committee from (their largest n_train)
every_ps = 1.0
limit_factor = 4.0            # trained-region limit: this multiple of the test set's 95th-percentile sigma
model_path = ""               # "": the production model (selects the MD runs)

# %%
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import committee, data, learning_curve, model, paths, plan, plotting, runs, stability, temperature_series

warnings.simplefilter("always")
model_paths = committee.members(paths.runs_dir(), group)
judges = committee.calculators(model_paths)  # loaded once, used for every run
table = learning_curve.collect(paths.runs_dir(), group)
members = table[table["n_train"] == table["n_train"].max()]
model_file = Path(model_path) if model_path else paths.production_model()
the_plan = plan.load(paths.ROOT / plan_file)
planned = temperature_series.planned_runs(the_plan, paths.runs_dir(), model_file)
used, excluded = temperature_series.collect_runs(paths.runs_dir(), planned)  # each run checked against its own model
member_sha256 = [model.file_sha256(p) for p in model_paths]
# model outputs are kept with the hashes of their inputs (committed), so a rerun on another CPU changes no number
test_sigma = committee.kept_disagreement(judges, data.read_extxyz(paths.test_xyz()), member_sha256,
                                         paths.derived_dir() / "committee_test_sigma.json")
along_rows = committee.along_runs(judges, used, every_ps, member_sha256)
along = pd.DataFrame(along_rows)
reference = float(np.percentile(test_sigma, 95))
limit = limit_factor * reference
run_table = pd.DataFrame(committee.per_run(along_rows, limit))
# the runs the distance monitor stopped: the committee over their last 2 ps of production
before_failure = committee.before_failure(judges, [e for e in excluded if e.get("failure")], member_sha256=member_sha256)
# every production run, finished or stopped: when it first left the trained region, by each criterion
events = stability.production_events(paths.runs_dir(), model.file_sha256(model_file), run_table.to_dict(orient="records"),
                                     [r["run_name"] for r in planned])
event_table = stability.production_event_table(events)
members[["run_name", "n_train", "seed", "test_force_rmse_meV_per_A"]]

# %%
# per temperature: the fitted runs (and probes) of the production model, apart from the pending series (analysed
# apart in notebook 6), whose supercell runs stay out (their largest σ is over 8 times the atoms), from the series
# the fit replaced, which has a panel of its own, and from any run made with another model (the probes of the
# previous series)
production_run = plan.production_model_run(the_plan)
pending_names = {r["run_name"] for r in planned if r["role"] == "pending"}
pending_cell = {r["run_name"] for r in planned if r["role"] == "pending" and r["supercell"] == 1}
previous_names = {r["run_name"] for r in planned if r["role"] == "previous"}
other_model = pending_names | previous_names | {r["run_name"] for r in planned
                                                if plan.run_model(r, the_plan) != production_run}
per_T = pd.DataFrame(committee.per_temperature([r for r in along_rows if r["run_name"] not in other_model], reference))
per_T_pending = committee.per_temperature([r for r in along_rows if r["run_name"] in pending_cell], reference)
plotting.save(plotting.committee(along, reference, limit, [r["run_name"] for r in planned if r["role"] == "probe"],
                                 pending_names, previous_names), "committee")
runs.write_json(paths.derived_dir() / "committee.json", {
    "members": [paths.relative(p) for p in model_paths],
    "test_sigma_eV_A": {"median": float(np.median(test_sigma)), "p95": reference, "max": float(test_sigma.max())},
    "per_temperature": per_T.to_dict(orient="records"), "per_temperature_pending": per_T_pending,
    "per_run": run_table.to_dict(orient="records"),
    "limit_eV_A": limit, "limit_factor": limit_factor, "before_failure": before_failure, "every_ps": every_ps,
    "production_events": events.to_dict(orient="records"), "production_event_table": event_table.to_dict(orient="records"),
    **runs.provenance()})
# the broken-PS4 fraction here is over the committee's samples (every {every_ps} ps); the events table below counts
# every saved frame (100 fs), the number the report and notebook 6 quote
run_table.rename(columns={"fraction_frames_P_S_broken": f"broken_PS4_fraction_every_{every_ps:g}ps"})

# %%
events.drop(columns=["committee_checked"])

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

left = "; ".join(f"{r.run_name} after {r.first_above_limit_ps:g} ps of production (largest σ {r.sigma_max_eV_A * 1000:.0f} meV/Å)"
                 for r in run_table.itertuples() if r.left_trained_region) or "none"
# over every frame of positions.npz (stability.production_events), the same count notebook 6 and the report use
broken = ", ".join(f"{100 * r.broken_PS4_fraction:.2g} % in {r.run_name}" for r in events.itertuples()
                   if r.broken_PS4_fraction > 0) or "0 % in every run"  # (nan: a run stopped before production)

hot, cold = per_T.iloc[-1], per_T.iloc[0]
trend = ("only one temperature so far, so no trend can be read" if len(per_T) < 2 else
         f"the median {'rises' if hot['median'] > cold['median'] else 'does not rise'} from "
         f"{cold['median'] * 1000:.0f} meV/Å at {cold['temperature_K']:g} K to {hot['median'] * 1000:.0f} meV/Å at "
         f"{hot['temperature_K']:g} K")
Markdown(f"""
**Does production MD stay where the data are?** On the DFT test set the committee disagreement σ has a
median of {np.median(test_sigma) * 1000:.0f} meV/Å and a 95th percentile of {reference * 1000:.0f} meV/Å. Along
the MD runs, {trend}; at {hot['temperature_K']:g} K, {hot['fraction_above_test_p95']:.0%} of the frames lie above
the test set's 95th percentile (largest σ anywhere {per_T['max'].max() * 1000:.0f} meV/Å). The committee is of a
smaller architecture than the production model, so σ ranks configurations by novelty rather than giving the
production model's error.

**Which runs left the trained region?** With the limit at {limit_factor:g} × the test set's 95th percentile
({limit * 1000:.0f} meV/Å): {left}. Structure finds more: the fraction of frames (every 100 fs) in which a P has
lost an S neighbour (P–S > 3 Å, never in the DFT data) is {broken}; the production model's other runs have none
(the earlier models' runs: the table above). The two criteria
disagree: a broken PS₄ unit need not raise the committee's disagreement above the limit, because the members, trained
on the same data, can extrapolate alike — so notebook 6 applies both.

**How long does each production run stay in the trained region?** Over the full production length
(per run, ps of production): {committee.events_text(events)}. Runs with no event at all: {committee.no_event_text(events)}.
""" + "".join(f"""
**Would the committee have caught the failed runs?** {b['run_name']} was stopped by the distance monitor
{b['failure_when']} ({b['failure']}); over its last 2 ps the committee disagreement reached
{b['sigma_last_2ps_max_eV_A'] * 1000:.0f} meV/Å, {"above" if b['sigma_last_2ps_max_eV_A'] > limit else "below"} the
trained-region limit of {limit * 1000:.0f} meV/Å.
{"So in this run the committee limit was crossed before the atoms collided; as an MD stop (`max_committee_sigma_eV_A` in notebook 4) it would have ended it earlier, though one run does not show that it always would." if b['sigma_last_2ps_max_eV_A'] > limit else "So the committee alone would not have flagged it: the distance monitor is needed as well."}
""" for b in before_failure))
