# %% [markdown]
# # 9. Synthetic pre-training: a universal potential as teacher, then the 200 DFT frames
#
# Our DFT data are 200 frames of one 520 K trajectory. A model trained on them alone needs a hand-made core
# repulsion in MD and still breaks PS₄ units in its hotter runs (notebook 5); the faster architectures collapse within a few ps.
# Synthetic pre-training (Gardner et al., Mach. Learn.: Sci. Technol. 5, 015003 (2024)) first fits the model to
# many configurations labelled by a cheap teacher, then fine-tunes it on the DFT frames. Here the teacher is the
# universal potential SevenNet-0 (its weights ship in its wheel), the synthetic set is 1200 configurations sampled
# where MD goes (900 frames of our own MD at 300–900 K, broken PS₄ units included, and 300 rattled and strained
# DFT training frames), and fine-tuning is mace-torch's own `--foundation_model` transfer with the same data and
# budget as the from-scratch reference (160 frames, 40 epochs, stage two from epoch 30). The production
# architecture is fine-tuned a second time with the production model's own budget (120 epochs, stage two from 90),
# so that it competes with today's model on equal terms. Which candidates and screens: the plan's `[pretraining]`.
#
# **Decision rule, fixed before the results.** Adopt a pre-trained (fine-tuned) model as the production model if its
# test force RMSE is ≤ 32 meV/Å and, with no core repulsion, its screens show no failure and no broken PS₄ unit at
# ≤ 600 K; among those, take the fastest. If none passes, keep today's model and report the numbers. The production
# MD series is not rerun here. (Added with the second budget, before its results: between equally fast candidates,
# the more accurate.)

# %% tags=["parameters"]
plan_file = "study/plan.toml"        # the run plan: its [pretraining] section declares the candidates and screens
production_run = "train-c32-L1-r5-n160-seed1-ep120"
committee_group = "learning_curve_s2"  # the committee of notebook 5, applied to the screens as well

# %%
import pandas as pd
from IPython.display import display

from analysis import architecture, bench, paths, plan, plotting, pretraining, ps4_dft, runs, synthetic, tables

the_plan = plan.load(paths.ROOT / plan_file)
candidates = plan.pretraining_runs(the_plan, plan.synthetic_size(paths.study_dir()))
kept = runs.read_json(architecture.speed_file())["models"] if architecture.speed_file().exists() else {}
speeds = {c["architecture"]: bench.ns_per_day(kept[c["scratch"]]["steps_per_cpu_s"])  # measured, by architecture
          for c in candidates if c["candidate"] == c["architecture"] and c["scratch"] in kept}
table = pretraining.compare(paths.runs_dir(), candidates, speeds)
screens = {c["finetune"]: pretraining.screens(paths.runs_dir(), c["screens"]) for c in candidates}
label = {c["finetune"]: c["candidate"] for c in candidates}
production = runs.read_json(paths.run_dir(production_run) / "evaluation.json")
decision = pretraining.decide(table, screens, production)
# what a broken PS4 unit costs in each fine-tuned model against DFT (the frames of notebook 7; not part of the rule)
ps4_frames = ps4_dft.select(the_plan)
ps4_error = {}
for c in candidates:
    per_run = ps4_dft.compare(ps4_frames, ps4_dft.folder() / "dft", None, paths.run_dir(c["finetune"]) / "mace_stagetwo.model",
                              kept_file=f"model_energies-{c['finetune']}.json")["per_run"] if ps4_frames else []
    ps4_error[c["finetune"]] = ps4_dft.combined_model_error(per_run)
table["ps4_delta_error_eV"] = [ps4_error[n][0] if kind == "fine-tuned" and ps4_error.get(n) else None
                               for n, kind in zip(table["run_name"], table["kind"])]
table["ps4_delta_error_err_eV"] = [ps4_error[n][1] if kind == "fine-tuned" and ps4_error.get(n) else None
                                   for n, kind in zip(table["run_name"], table["kind"])]
synthetic_info = runs.read_json(synthetic.synthetic_dir() / "pretrain.json")
tables.compact(table, ["candidate", "kind", "test_force_rmse_meV_per_A", "test_energy_rmse_meV_per_atom", "n_screens",
                       "n_failed", "ps4_delta_error_eV"])

# %% [markdown]
# ## Stability screens of the fine-tuned models (plain NVT, no core repulsion)

# %%
all_screens = pd.concat([s for s in screens.values() if not s.empty], ignore_index=True) if any(
    not s.empty for s in screens.values()) else pd.DataFrame()
if not all_screens.empty:
    all_screens["candidate"] = all_screens["model"].map(label)
    earlier = pd.concat([pretraining.scratch_screens(paths.runs_dir(), c) for c in candidates if c["scratch"]],
                        ignore_index=True)
    plotting.save(plotting.pretraining(table, all_screens, scratch_screens=earlier), "pretraining")
    display_columns = ["candidate", "temperature_K", "seed", "length_ps", "failed", "time_to_failure_ps", "reason",
                       "broken_PS4_fraction"]
    display(tables.compact(all_screens, display_columns))  # inside the if: shown with display

# %% [markdown]
# ## How far do the screens leave the DFT data? The committee of notebook 5 along each screen

# %%
limits = runs.read_json(paths.derived_dir() / "committee.json")
screen_committee = pd.DataFrame(pretraining.committee_on_screens(
    paths.runs_dir(), list(all_screens["run_name"]) if not all_screens.empty else [], committee_group,
    limits["limit_eV_A"], limits["every_ps"]))
if not screen_committee.empty:
    screen_committee = screen_committee.merge(all_screens[["run_name", "model"]], on="run_name")
    worst = screen_committee.groupby(["model", "temperature_K"])["sigma_max_eV_A"].max().unstack()
    display(worst * 1000)  # largest committee σ (meV/Å) per fine-tuned model and temperature
# %%
runs.write_json(paths.derived_dir() / "pretraining.json", {
    "synthetic_set": synthetic_info, "table": table.to_dict(orient="records"),
    "screens": all_screens.to_dict(orient="records") if not all_screens.empty else [],
    "screen_committee": screen_committee.to_dict(orient="records"), "committee_limit_eV_A": limits["limit_eV_A"],
    "decision": decision, "production_run": production_run, **runs.provenance()})
decision

# %% [markdown]
# ## Discussion

# %%
from IPython.display import Markdown

names = list(dict.fromkeys(table["candidate"]))
lines = []
for a in names:
    rows = table[table["candidate"] == a].set_index("kind")
    s, p, f = (rows.loc[k] for k in ("scratch", "pretrained only", "fine-tuned"))
    lines.append(f"- {a}: from scratch {s.test_force_rmse_meV_per_A:.1f} meV/Å and {s.test_energy_rmse_meV_per_atom:.2f} "
                 f"meV/atom; the teacher-trained model alone {p.test_force_rmse_meV_per_A:.0f} meV/Å; fine-tuned "
                 f"{f.test_force_rmse_meV_per_A:.1f} meV/Å and {f.test_energy_rmse_meV_per_atom:.2f} meV/atom "
                 f"({f.test_force_rmse_meV_per_A / s.test_force_rmse_meV_per_A - 1:+.0%} in force error).")
rows_p, rows_f = ([table[(table["candidate"] == a) & (table["kind"] == kind)]["test_force_rmse_meV_per_A"].iloc[0]
                   for a in names] for kind in ("pretrained only", "fine-tuned"))
verdicts = "\n".join(f"- {v['candidate']} ({v['run_name']}): " + ("passes" if v["passes"] else "fails: " + "; ".join(v["reasons"]))
                     for v in decision["verdicts"])
outcome = (f"The rule adopts **{decision['adopted']}**." if decision["adopted"] else
           f"No candidate passes, so the production model stays **{production_run}** "
           f"({production['test_force_rmse_meV_per_A']:.1f} meV/Å).")
committee_text = "no screen has saved frames yet" if screen_committee.empty else "; ".join(
    f"{label.get(model, model)}: largest σ {g['sigma_max_eV_A'].max() * 1000:.0f} meV/Å, "
    f"{int(g['left_trained_region'].sum())} of {len(g)} runs above the limit"
    for model, g in screen_committee.groupby("model"))
stability_ps4 = runs.read_json(paths.derived_dir() / "stability.json").get("ps4_dft", {}).get("per_run", [])
ps4_text_production = ps4_dft.describe(ps4_dft.combined_model_error(stability_ps4))
ps4_text_teacher = ps4_dft.describe(ps4_dft.combined_model_error(stability_ps4, "teacher"))
ps4_text = "; ".join(f"{label[n]} {ps4_dft.describe(v)}" for n, v in ps4_error.items())
Markdown(f"""
**Does pre-training on a teacher's labels help with 160 DFT frames?** The synthetic set has
{synthetic_info['n_configurations']} configurations ({synthetic_info['n_md']} MD frames, {synthetic_info['n_rattled']}
rattled DFT frames) labelled by {synthetic_info['teacher']['teacher']} (sevenn {synthetic_info['teacher']['teacher_version']}).
Test errors on the same 40 held-out DFT configurations:

{chr(10).join(lines)}

**Why can a teacher this far from DFT help?** The teacher-trained models alone miss the DFT forces by
{min(rows_p):.0f}–{max(rows_p):.0f} meV/Å, against {min(rows_f):.0f}–{max(rows_f):.0f} meV/Å once fine-tuned.
Pre-training cannot teach DFT's numbers; what it can give is a plausible energy surface over
{synthetic_info['n_configurations']} configurations the DFT frames do not cover (hotter, distorted, broken PS₄
units), so that fine-tuning on 160 frames of one temperature corrects a surface rather than builds one from nothing.

**Do the fine-tuned models stay where the DFT data are?** The committee of notebook 5 along their screens (limit
{limits['limit_eV_A'] * 1000:.0f} meV/Å, as for the production runs): {committee_text}.

**Does pre-training correct what a broken PS₄ unit costs?** On the GPAW frames of notebook 7 the production model's
error on E(broken) − E(intact) is {ps4_text_production}; fine-tuned from the teacher: {ps4_text}. (Negative: the model
makes breaking cheaper than DFT does; the teacher itself: {ps4_text_teacher}.)

**Which model does the rule choose?**

{verdicts}

{outcome}
""")
