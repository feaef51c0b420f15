"""The run plan (analysis/plan.py, study/plan.toml): reading it, checking it, Make building from it, and the
roles it gives runs in the diffusion analysis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import data, md, paths, plan, run_files, runs, temperature_series

PLAN = paths.ROOT / "study" / "plan.toml"
SMALL = """
[selection]
min_distance_A = 0.5
pair_min_fraction = 0.0
committee_limit_factor = 4.0
min_intact_ps = 0.0
fit_start_ps = 0.01

[md_protocol]
timestep_fs = 1.0
equilibration_ps = 0.01
production_ps = 0.04
chunk_ps = 0.01
core_repulsion_fraction = 0.0
committee_every_ps = 0.01

[[md]]
set = "series"
role = "fit"
rule = "one temperature"
temperatures_K = [500]
seeds = [1]

[[md]]
set = "probes"
role = "probe"
rule = "hotter"
runs = [[650, 1]]
production_ps = 0.02

[production]
architecture = "tiny"
n_train = 10
epochs = 3
stage_two_start_epoch = 2

[learning_curve]
architecture = "tiny"
sizes = [10]
seeds = [1]
epochs_at_160 = 3
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text)
    return path


def test_the_study_plan_declares_every_committed_md_run_once_with_a_role_and_a_rule():
    p = plan.load(PLAN)
    runs = plan.md_runs(p)
    names = [r["run_name"] for r in runs]
    assert len(names) == len(set(names))
    assert {r["role"] for r in runs} <= set(plan.ROLES)
    assert {r["run_name"] for r in runs if r["role"] == "probe"} == {"md-T640-seed1", "md-T750-seed1", "md-T900-seed1"}
    assert next(r for r in runs if r["run_name"] == "md-T450-seed3")["production_ps"] == 150.0
    committed = paths.ROOT / "data" / "runs"
    if committed.exists():  # every planned run has its committed results, except a pending series' (make series)
        assert all((committed / r["run_name"] / "summary.json").exists() for r in runs if r["role"] != "pending")
        assert all((committed / r["model"] / "mace_stagetwo.model").exists() for r in runs if r["model"])
    # names as the committed folders have them: the learning curve's epochs keep the gradient updates fixed
    lc = [r["run_name"] for r in plan.training_runs(p) if r["group"] == "learning_curve_s2"]
    assert "train-c32-L0-r5-n10-seed1-ep640-s2" in lc and "train-c32-L0-r5-n160-seed3-ep40-s2" in lc and len(lc) == 15
    assert plan.selection(p)["min_intact_ps"] == 40.0
    # the sets as recorded for the report carry their cap (the names table says how far runs are extended)
    assert next(x for x in plan.md_sets(p) if x["set"] == "converged series")["cap_ps"] == 1000.0


@pytest.mark.parametrize("change, message", [
    (("[selection]", "[selection]\nfit_strt_ps = 8"), "[selection] entry 1: unknown key 'fit_strt_ps'"),
    (('role = "probe"', 'role = "maybe"'), "set 'probes': role must be one of fit, probe"),
    (('rule = "hotter"', 'rule = ""'), "set 'probes': every set states the rule"),
    (("runs = [[650, 1]]", "runs = [[500, 1]]"), "md-T500-seed1 is declared in two [[md]] sets"),
    (("[production]", "[productoin]"), "unknown section [productoin]"),
    (("seeds = [1]\n\n[[md]]", "seeds = [1\n\n[[md]]"), "not valid TOML"),
    (('role = "probe"\nrule = "hotter"', 'role = "pending"\nrule = "hotter"\nmodel = "train-other"'),
     "set 'probes': a pending set with its own model needs a name_suffix"),
])
def test_a_bad_plan_is_refused_with_the_file_and_the_problem(tmp_path, change, message):
    path = write(tmp_path, SMALL.replace(*change, 1))
    with pytest.raises(plan.PlanError) as err:
        plan.load(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)
    with pytest.raises(plan.PlanError, match="plan file not found"):
        plan.load(tmp_path / "none.toml")


def test_make_builds_its_run_targets_from_the_plan(tmp_path):
    path = write(tmp_path, SMALL)
    env = {**os.environ, "MAKEFLAGS": ""}
    make = lambda *a: subprocess.run(["make", "-s", *a, f"PLAN={path}", f"STUDY={tmp_path / 'study'}"],  # noqa: E731
                                     cwd=paths.ROOT, capture_output=True, text=True, env=env)
    assert make("print-MD_RUNS").stdout.split() == ["md-T500-seed1", "md-T650-seed1"]
    assert make("print-md-T650-seed1.params").stdout.strip() == "-p temperature_K 650 -p seed 1 -p production_ps 0.02"
    assert make("print-FIT_START_PS").stdout.strip() == "0.01"  # the plan's setting, the command line still wins
    assert make("print-FIT_START_PS", "FIT_START_PS=3").stdout.strip() == "3"
    dry = make("-n", str(tmp_path / "study" / "runs" / "md-T650-seed1" / "summary.json"))
    assert "study/04_md.py" in dry.stdout and "-p temperature_K 650" in dry.stdout and "-p run_name md-T650-seed1" in dry.stdout
    assert "train-tiny-n10-seed1-ep3" in make("print-TRAIN_RUNS").stdout
    # a broken plan stops Make with the plan's own one-line error
    bad = write(tmp_path, SMALL.replace('role = "probe"', 'role = "maybe"'))
    result = make("print-MD_RUNS")
    assert result.returncode != 0 and f"error: {bad}: [[md]] set 'probes': role must be" in result.stderr


def test_a_run_outside_the_plan_and_a_probe_stay_out_of_the_fit(tiny_model, tmp_path):
    root = tmp_path / "runs"
    short = dict(timestep_fs=1.0, equilibration_ps=0.01, production_ps=0.06, sample_interval_fs=2.0, chunk_ps=0.02,
                 min_distance_A=0.5)
    for T in (500, 650, 700):  # 700 K: made by hand (make md), not declared
        md.run_md(md.MDSettings(temperature_K=float(T), seed=1, **short), tiny_model, root / f"md-T{T}-seed1")
        run_files.export_positions(root / f"md-T{T}-seed1", 2.0, stride_fs=4.0)  # enough frames for kinisi
    p = plan.load(write(tmp_path, SMALL))
    with pytest.warns(UserWarning, match="md-T700-seed1: excluded .*: outside the plan"):
        used, excluded = temperature_series.collect_runs(root, plan.md_runs(p))
    assert [(r["run_name"], r["set"], r["role"]) for r in used] == [("md-T500-seed1", "series", "fit"),
                                                                    ("md-T650-seed1", "probes", "probe")]
    assert [(e["run_name"], e["role"]) for e in excluded] == [("md-T700-seed1", plan.OUTSIDE)]
    used, excluded = temperature_series.restrict_to_intact(used, excluded, 0.0)
    with pytest.warns(UserWarning, match="md-T650-seed1: excluded .*: role probe"):
        used, excluded = temperature_series.leave_out_probes(used, excluded)
    assert [r["run_name"] for r in used] == ["md-T500-seed1"]
    assert {e["run_name"] for e in excluded} == {"md-T650-seed1", "md-T700-seed1"}
    per_run = temperature_series.analyse(used, 0.01)["per_run"]
    assert [(r["run_name"], r["set"], r["role"]) for r in per_run] == [("md-T500-seed1", "series", "fit")]
    # a planned run that has not been made is an error, not a silent gap
    (root / "md-T650-seed1" / "summary.json").unlink()
    with pytest.raises(FileNotFoundError, match="md-T650-seed1/summary.json: a run of the plan has not been made"):
        temperature_series.collect_runs(root, plan.md_runs(p))


def test_the_pretrained_learning_curve_is_the_learning_curve_fine_tuned_from_the_pretrained_model(tmp_path):
    text = PLAN.read_text()
    text = text.replace(next(line for line in text.splitlines() if line.startswith("learning_curve_seeds")),
                        "learning_curve_seeds = [1]")
    p = plan.load(write(tmp_path, text))
    runs = plan.pretrained_learning_curve(p, n_synthetic=1200)
    assert [r["run_name"] for r in runs][:2] == ["train-c32-L0-r5-n10-seed1-ep640-s2-pt",
                                                 "train-c32-L0-r5-n20-seed1-ep320-s2-pt"]
    assert {r["pretrain"] for r in runs} == {"pretrain-c32-L0-r5-n1200-seed1-ep16"}
    # the same sizes, budgets and stage two as the from-scratch curve, one name suffix more
    scratch = {r["run_name"]: r for r in plan.training_runs(p) if r["group"] == "learning_curve_s2"}
    for r in runs:
        twin = scratch[r["run_name"][: -len("-pt")]]
        assert (r["max_epochs"], r["stage_two_start_epoch"], r["n_train"]) == (
            twin["max_epochs"], twin["stage_two_start_epoch"], twin["n_train"])
    mk = plan.makefile(p, "data/runs", 1200)
    assert "foundation_model data/runs/pretrain-c32-L0-r5-n1200-seed1-ep16/mace_stagetwo.model" in mk
    # the largest run is the architecture's fine-tuning run: declared once
    assert mk.count("train-c32-L0-r5-n160-seed1-ep40-s2-pt.params") == 1


def test_an_architecture_can_have_its_own_pretraining_budget_and_screens(tmp_path):
    text = PLAN.read_text().split("[pretraining.per_architecture.")[0]  # whatever the study's plan declares there
    text = re.sub(r"(?m)^architectures = .*$", 'architectures = ["c32-L0-r5", "c32-L1-r5"]', text)
    text += '\n[pretraining.per_architecture.c32-L1-r5]\nepochs = 8\nstage_two_start_epoch = 6\nscreen_temperatures_K = [600]\n'
    p = plan.load(write(tmp_path, text))
    runs = {r["architecture"]: r for r in plan.pretraining_runs(p, 1200)}
    assert runs["c32-L0-r5"]["pretrain"] == "pretrain-c32-L0-r5-n1200-seed1-ep16" and len(runs["c32-L0-r5"]["screens"]) == 9
    assert runs["c32-L1-r5"]["pretrain"] == "pretrain-c32-L1-r5-n1200-seed1-ep8"
    assert runs["c32-L1-r5"]["pretrain_stage_two_start_epoch"] == 6
    assert runs["c32-L1-r5"]["screens"] == [f"screen-train-c32-L1-r5-n160-seed1-ep40-s2-pt-T600-seed{s}-20ps" for s in (1, 2, 3)]
    with pytest.raises(plan.PlanError, match=r"per_architecture.c32-L1-r5\]: unknown key 'epoch'"):
        plan.pretraining_runs(plan.load(write(tmp_path, text.replace("epochs = 8\nstage_two_start_epoch = 6\nscreen",
                                                                        "epoch = 8\nstage_two_start_epoch = 6\nscreen"))), 1200)


def test_the_production_architecture_can_be_fine_tuned_with_the_production_budget_too(tmp_path):
    text = PLAN.read_text().split("[pretraining.per_architecture.")[0]
    text = re.sub(r"(?m)^architectures = .*$", 'architectures = ["c32-L0-r5", "c32-L1-r5"]', text)
    text += ('\n[pretraining.per_architecture.c32-L1-r5]\nepochs = 8\nstage_two_start_epoch = 6\n'
             '\n[pretraining.production_budget]\narchitectures = ["c32-L1-r5"]\nscreen_temperatures_K = [600]\n')
    p = plan.load(write(tmp_path, text))
    runs = {r["candidate"]: r for r in plan.pretraining_runs(p, 1200)}
    assert set(runs) == {"c32-L0-r5", "c32-L1-r5", "c32-L1-r5 (120 epochs)"}
    long = runs["c32-L1-r5 (120 epochs)"]
    # the same pre-trained model; the production model's budget; the production model as its from-scratch twin
    assert long["pretrain"] == runs["c32-L1-r5"]["pretrain"] == "pretrain-c32-L1-r5-n1200-seed1-ep8"
    assert (long["finetune"], long["scratch"]) == ("train-c32-L1-r5-n160-seed1-ep120-pt", "train-c32-L1-r5-n160-seed1-ep120")
    assert (long["finetune_epochs"], long["finetune_stage_two_start_epoch"]) == (120, 90)
    assert long["screens"] == [f"screen-train-c32-L1-r5-n160-seed1-ep120-pt-T600-seed{s}-20ps" for s in (1, 2, 3)]
    # the from-scratch screens it is compared with: the plan's plain stability runs of its twin, none with the core
    # repulsion, none of another model (the plan declares them; nothing is globbed on disk)
    plain = [r["run_name"] for r in plan.stability_runs(p)
             if r["model"] == long["scratch"] and not r["core_repulsion_fraction"]]
    assert plain and long["scratch_screens"] == plain
    assert runs["c32-L1-r5"]["scratch_screens"] == []  # its 40-epoch twin was never screened
    mk = plan.makefile(p, "data/runs", 1200)
    assert mk.count("pretrain-c32-L1-r5-n1200-seed1-ep8.params") == 1  # one pre-training run for both
    line = next(x for x in mk.splitlines() if x.startswith("train-c32-L1-r5-n160-seed1-ep120-pt.params"))
    assert "-p max_epochs 120 -p stage_two_start_epoch 90" in line and "-p group finetuned" in line
    with pytest.raises(plan.PlanError, match="'c64-L0-r5' is not among"):
        plan.pretraining_runs(plan.load(write(tmp_path, text.replace('["c32-L1-r5"]\nscreen', '["c64-L0-r5"]\nscreen'))), 1200)


def test_a_fine_tuned_production_model_replaces_the_from_scratch_one_only_when_the_plan_says_so(tmp_path):
    # the study's plan ([pretraining.production_budget] fine-tunes the production architecture) as it was before it
    # said fine_tuned = true
    text = PLAN.read_text().replace("\nfine_tuned = true\n", "\n")
    assert "\nfine_tuned = true" not in text
    scratch, fine_tuned = "train-c32-L1-r5-n160-seed1-ep120", "train-c32-L1-r5-n160-seed1-ep120-pt"
    params = lambda mk, run: next(x for x in mk.splitlines() if x.startswith(f"{run}.params"))  # noqa: E731
    p = plan.load(write(tmp_path, text))
    mk = plan.makefile(p, "data/runs", 1200)
    assert plan.production_model_run(p) == scratch and f"MODEL_RUN_NAME := {scratch}" in mk
    assert "figure_prefix production" in params(mk, scratch) and "figure_prefix" not in params(mk, fine_tuned)
    p = plan.load(write(tmp_path, text.replace('[production]\n', '[production]\nfine_tuned = true\n', 1)))
    mk = plan.makefile(p, "data/runs", 1200)
    # the model is the fine-tuned run, whose notebook now draws the report's parity figure; the from-scratch run
    # stays the production run of notebook 9's comparison
    assert plan.production_model_run(p) == fine_tuned and f"MODEL_RUN_NAME := {fine_tuned}" in mk
    assert f"PROD_RUN_NAME := {scratch}" in mk
    assert "figure_prefix production" in params(mk, fine_tuned) and "figure_prefix" not in params(mk, scratch)
    # an MD run whose set names its model keeps it; one without a model line runs with the production model
    md = plan.md_runs(p)
    assert [plan.run_model(r, p) for r in md] == [r["model"] for r in md]
    assert {plan.run_model({**r, "model": None}, p) for r in md} == {fine_tuned}
    # without a production-budget fine-tuning there is no such model: the plan is refused
    without = re.sub(r"(?s)\n\[pretraining\.production_budget\]\n.*?\n(?=\[ps4_dft\])", "\n",
                     text.replace('[production]\n', '[production]\nfine_tuned = true\n', 1))
    assert "production_budget]\n" not in without
    with pytest.raises(plan.PlanError, match="fine_tuned = true needs \\[pretraining.production_budget\\]"):
        plan.production_model_run(plan.load(write(tmp_path, without)))


def unflip(text: str) -> str:
    """The study's plan before the flip of 2026-12-06 (b55b2e8), equivalent in roles, models and hand-in (set names
    and the probes' explicit model line stay as they are now): the from-scratch series (now "previous") the fit, with
    the production model and the rule reported but not enforced; the converged series and its replacement seeds
    pending; the hand-in on md-T500-seed1."""
    previous = 'role = "previous"\nmodel = "train-c32-L1-r5-n160-seed1-ep120"\n'
    assert text.count('role = "fit"') == 2 and text.count(previous) == 4 and text.count("\nenforce = true\n") == 1
    text = text.replace('role = "fit"', 'role = "pending"').replace(previous, 'role = "fit"\n')
    return (text.replace("\nenforce = true\n", "\nenforce = false\n").replace("\nfine_tuned = true\n", "\n")
            .replace('md_run = "md-T500-seed1-pt"', 'md_run = "md-T500-seed1"'))


def test_the_hand_in_shows_notebook_4_of_the_md_run_the_plan_names(tmp_path):
    flipped = PLAN.read_text()  # the study's plan: the converged series is the fit, the hand-in shows one of its runs
    assert "HANDIN_MD_RUN ?= md-T500-seed1-pt" in plan.makefile(plan.load(write(tmp_path, flipped)), "data/runs", 1200)
    before = plan.load(write(tmp_path, unflip(flipped)))  # the plan before the flip: the old series is the fit
    assert {r["set"] for r in plan.md_runs(before) if r["role"] == "fit"} == {
        "series", "replacement seeds", "scatter seeds", "long runs"}
    assert plan.production_model_run(before) == "train-c32-L1-r5-n160-seed1-ep120"
    assert "HANDIN_MD_RUN ?= md-T500-seed1" in plan.makefile(before, "data/runs", 1200).splitlines()
    # while the converged series was pending, the hand-in could not name one of its runs: make report never makes them
    pending_run = unflip(flipped).replace('md_run = "md-T500-seed1"', 'md_run = "md-T500-seed1-pt"')
    with pytest.raises(plan.PlanError, match="md_run 'md-T500-seed1-pt' is not an MD run of the plan"):
        plan.makefile(plan.load(write(tmp_path, pending_run)), "data/runs", 1200)
    # the hand-in's notebook 4 is executed with the run's own settings, which follow the protocol's and win: the
    # converged series' core_repulsion_fraction 0.0 and model, not the protocol's 0.9 (then the run refuses to resume)
    study = tmp_path / "study"
    notebook = study / "runs" / "md-T500-seed1-pt" / "notebook.ipynb"
    dry = subprocess.run(["make", "-n", "-B", f"STUDY={study}", f"PLAN={write(tmp_path, flipped)}", str(notebook)],
                         cwd=paths.ROOT, capture_output=True, text=True, env={**os.environ, "MAKEFLAGS": ""})
    commands = [line for line in dry.stdout.splitlines() if f"study/04_md.py {notebook}" in line]
    assert len(commands) == 2, dry.stdout + dry.stderr  # the run itself and the hand-in's re-execution
    for command in commands:
        settings = dict(re.findall(r"-p (\S+) (\S+)", command))  # the last value of each parameter
        assert settings["core_repulsion_fraction"] == "0.0", command
        assert settings["model_path"].endswith("runs/train-c32-L1-r5-n160-seed1-ep120-pt/mace_stagetwo.model")


PENDING = """
[[md]]
set = "next"
role = "pending"
rule = "another model, run in pieces"
model = "tiny-model"
core_repulsion_fraction = 0.0
name_suffix = "-pt"
temperatures_K = [500]
seeds = [1, 2]
production_ps = 0.04
"""


def test_a_pending_series_with_its_own_model_is_made_only_by_make_series_and_extended_when_the_plan_asks(tmp_path):
    path = write(tmp_path, SMALL.replace("[production]", PENDING + "\n[production]").replace(
        "core_repulsion_fraction = 0.0\ncommittee", "core_repulsion_fraction = 0.7\ncommittee"))
    env = {**os.environ, "MAKEFLAGS": ""}
    make = lambda *a: subprocess.run(["make", "-s", *a, f"PLAN={path}", f"STUDY={tmp_path / 'study'}"],  # noqa: E731
                                     cwd=paths.ROOT, capture_output=True, text=True, env=env)
    assert make("print-MD_RUNS").stdout.split() == ["md-T500-seed1", "md-T650-seed1"]  # what make report makes
    assert make("print-PENDING_MD_RUNS").stdout.split() == ["md-T500-seed1-pt", "md-T500-seed2-pt"]
    params = make("print-md-T500-seed1-pt.params").stdout.strip()
    assert params.endswith(f"-p model_path {tmp_path / 'study'}/runs/tiny-model/mace_stagetwo.model "
                           "-p core_repulsion_fraction 0.0")
    (tmp_path / "study" / "runs" / "tiny-model").mkdir(parents=True)
    (tmp_path / "study" / "runs" / "tiny-model" / "evaluation.json").write_text("{}")  # the model, trained
    dry = make("-n", "series").stdout  # the set's own settings come after the protocol's, so they win
    command = next(line for line in dry.splitlines() if "md-T500-seed1-pt/notebook.ipynb" in line)
    assert command.index("-p core_repulsion_fraction 0.7") < command.index("-p core_repulsion_fraction 0.0 -p run_name")
    # a finished run shorter than the plan now asks for is extended (its target is always remade); a stopped one never
    p = plan.load(path)
    runs_dir = tmp_path / "study" / "runs"
    for name, status, length in (("md-T500-seed1-pt", "done", 0.02), ("md-T500-seed2-pt", "unstable", 0.02),
                                 ("md-T500-seed1", "done", 0.04)):
        (runs_dir / name).mkdir(parents=True, exist_ok=True)
        (runs_dir / name / "summary.json").write_text(
            '{"status": "%s", "settings": {"production_ps": %g}}' % (status, length))
    forced = [line for line in plan.makefile(p, str(runs_dir), 0).splitlines() if line.endswith(": FORCE")]
    assert forced == [f"{runs_dir}/md-T500-seed1-pt/summary.json: FORCE"]
    # make series extends it; make study never does, yet its finished pieces are notebook 6's inputs
    assert "md-T500-seed1-pt/notebook.ipynb" in make("-n", "series").stdout
    study = make("-n", "study").stdout
    assert "md-T500-seed1-pt/notebook.ipynb" not in study
    diffusion = next(line for line in study.splitlines() if "analysis.steps diffusion" in line)
    assert f"{runs_dir}/md-T500-seed1-pt/summary.json" in diffusion


def test_the_pending_series_is_analysed_apart_from_the_fit_each_run_against_its_own_model(tiny_model, tmp_path):
    root = tmp_path / "runs"
    short = dict(timestep_fs=1.0, equilibration_ps=0.01, production_ps=0.06, sample_interval_fs=2.0, chunk_ps=0.02,
                 min_distance_A=0.5)
    for name in ("md-T500-seed1", "md-T650-seed1", "md-T500-seed1-pt"):
        md.run_md(md.MDSettings(temperature_K=float(name.split("-")[1][1:]), seed=1, **short), tiny_model, root / name)
        run_files.export_positions(root / name, 2.0, stride_fs=4.0)
    (root / "tiny-model").mkdir()
    (root / "tiny-model" / "mace_stagetwo.model").write_bytes(tiny_model.read_bytes())
    p = plan.load(write(tmp_path, SMALL.replace("[production]", PENDING + "cap_ps = 0.16\n\n[production]")))
    other = tmp_path / "other.model"  # the fit's runs were "made" with another production model
    other.write_bytes(b"not the tiny model")
    planned = temperature_series.planned_runs(p, root, other)
    # md-T500-seed2-pt is not made yet: a pending run is skipped until make series makes it
    assert [r["run_name"] for r in planned] == ["md-T500-seed1", "md-T650-seed1", "md-T500-seed1-pt"]
    with pytest.warns(UserWarning, match="md-T500-seed1: excluded .*: made with another model"):
        used, excluded = temperature_series.collect_runs(root, planned)
    assert [r["run_name"] for r in used] == ["md-T500-seed1-pt"]  # each run against its own set's model
    assert [e["run_name"] for e in excluded] == ["md-T500-seed1", "md-T650-seed1"]
    planned = temperature_series.planned_runs(p, root, tiny_model)
    used, excluded = temperature_series.collect_runs(root, planned)
    (used, excluded), (pending_used, pending_excluded) = temperature_series.take_role(used, excluded, "pending")
    assert [r["run_name"] for r in pending_used] == ["md-T500-seed1-pt"] and pending_excluded == []
    assert "md-T500-seed1-pt" not in [r["run_name"] for r in used + excluded]
    rule = {"min_msd_A2": 1e6, "min_slope_ratio": 0.0, "max_halves_pull": 100.0, "enforce": False}
    pending = temperature_series.analyse_pending(pending_used, pending_excluded, 0.01, rule, n_li=27, volume_A3=1676.0)
    assert [(r["run_name"], r["set"], r["role"], r["converged"]) for r in pending["per_run"]] == [
        ("md-T500-seed1-pt", "next", "pending", False)]  # no run reaches 1e6 A^2
    assert pending["per_run"][0]["still_running"]  # not converged, 0.06 of at most 0.16 ps: it is doubled next
    assert temperature_series.pending_state(pending["per_run"][0]) == "not converged yet"
    at_cap = temperature_series.analyse_pending([{**pending_used[0], "cap_ps": 0.06}], [], 0.01, rule, 27, 1676.0)
    assert not at_cap["per_run"][0]["still_running"]
    assert temperature_series.pending_state(at_cap["per_run"][0]) == "not converged at its cap"
    assert pending["converged_per_temperature"] == [] and pending["arrhenius"] is None and pending["conductivity"] == []
    # without a rule every run counts (runs this short have no two halves to compare)
    pending = temperature_series.analyse_pending(pending_used, pending_excluded, 0.01, None, n_li=27, volume_A3=1676.0)
    assert [r["temperature_K"] for r in pending["converged_per_temperature"]] == [500.0]
    assert temperature_series.pending_state(pending["per_run"][0]) == "not judged"
    assert [c["temperature_K"] for c in pending["conductivity"]] == [500.0]  # σ measured directly, with H_R
    assert pending["arrhenius"] is None  # one temperature
    assert temperature_series.analyse_pending([], [], 0.01, rule, 27, 1676.0) is None


def test_a_pending_run_is_doubled_until_notebook_6_judges_it_converged_or_it_reaches_the_cap(tmp_path):
    runs_dir = tmp_path / "runs"
    run = {"run_name": "md-T500-seed1-pt", "production_ps": 20.0, "cap_ps": 50.0, "role": "pending"}

    def made(ps, status="done"):
        (runs_dir / run["run_name"]).mkdir(parents=True, exist_ok=True)
        (runs_dir / run["run_name"] / "summary.json").write_text(
            '{"status": "%s", "settings": {"production_ps": %g}}' % (status, ps))

    def verdict(ps, converged):
        return {run["run_name"]: {"production_ps": ps, "converged": converged}}

    assert plan.run_length_ps(run, runs_dir, {}) == 20.0  # not made: the first piece
    made(20.0)
    assert plan.run_length_ps(run, runs_dir, {}) == 20.0  # made, not judged yet: wait for notebook 6
    assert plan.run_length_ps(run, runs_dir, verdict(20.0, False)) == 40.0  # judged not converged: doubled
    (runs_dir / run["run_name"] / "summary.json").rename(runs_dir / run["run_name"] / "summary-production20ps.json")
    (runs_dir / run["run_name"] / "settings.json").write_text('{"settings": {"production_ps": 40.0}}')
    assert plan.run_length_ps(run, runs_dir, {}) == 40.0  # the doubling was interrupted: it is finished first
    made(20.0)
    assert plan.run_length_ps(run, runs_dir, verdict(20.0, True)) == 20.0  # converged: done
    made(40.0)
    assert plan.run_length_ps(run, runs_dir, verdict(20.0, False)) == 40.0  # a stale verdict never extends
    assert plan.run_length_ps(run, runs_dir, verdict(40.0, False)) == 50.0  # at most the cap
    made(40.0, "unstable")
    assert plan.run_length_ps(run, runs_dir, verdict(40.0, False)) == 40.0  # a stopped run is never extended
    made(40.0)
    assert plan.run_length_ps({**run, "role": "fit"}, runs_dir, verdict(40.0, False)) == 40.0  # fitted: as made
    assert plan.run_length_ps({**run, "cap_ps": None}, runs_dir, verdict(40.0, False)) == 20.0  # no cap: the set's
    # the verdicts come from notebook 6's diffusion.json
    (tmp_path / "diffusion.json").write_text('{"pending": {"per_run": [{"run_name": "md-T500-seed1-pt", '
                                             '"production_ps": 40.0, "converged": false}]}}')
    assert plan.convergence_verdicts(tmp_path / "diffusion.json") == verdict(40.0, False)
    # and the fit's runs, those the rule left out of it (the run at 20 ps), never a run judged before the rule
    (tmp_path / "diffusion.json").write_text(
        '{"per_run": [{"run_name": "md-T600-seed1-pt", "production_ps": 40.0, "converged": true}, '
        '{"run_name": "md-T500-seed1", "production_ps": 100.0}], "left_out": {"per_run": [{"run_name": '
        '"md-T500-seed1-pt", "production_ps": 20.0, "converged": false}]}, "pending": null}')
    assert plan.convergence_verdicts(tmp_path / "diffusion.json") == {
        "md-T600-seed1-pt": {"production_ps": 40.0, "converged": True}, **verdict(20.0, False)}
    assert plan.convergence_verdicts(tmp_path / "none.json") == {}


def test_make_plan_shows_where_each_run_stands_and_its_last_verdict(tmp_path):
    pending = PENDING.replace("seeds = [1, 2]", "seeds = [1, 2, 3, 4]").replace(
        "production_ps = 0.04", "production_ps = 20.0\ncap_ps = 80.0")
    path = write(tmp_path, SMALL.replace("[production]", pending + "\n[production]"))
    study = tmp_path / "study"
    runs_dir = study / "runs"
    settings = '{"settings": {"timestep_fs": 2.0, "equilibration_ps": 10.0, "production_ps": %g}}'
    for name, length, made, step, status in (
            ("md-T500-seed1", 0.04, 0.04, None, "done"),  # made before checkpoints were kept
            ("md-T650-seed1", 0.02, 0.01, None, "unstable"),
            ("md-T500-seed1-pt", 40.0, None, 20000, None),  # a doubling, at 30 of 40 ps (its 20-ps summary set aside)
            ("md-T500-seed2-pt", 20.0, 20.0, 15000, "done"),  # judged not converged at 20 ps: asked 40
            ("md-T500-seed3-pt", 20.0, None, None, None)):  # started, no checkpoint yet
        (runs_dir / name).mkdir(parents=True)
        (runs_dir / name / "settings.json").write_text(settings % length)
        if step is not None:
            (runs_dir / name / "checkpoint.json").write_text('{"step": %d}' % step)
        if status is not None:
            (runs_dir / name / "summary.json").write_text(
                '{"status": "%s", "production_ps": %g, "settings": {"production_ps": %g}}' % (status, made, length))
    (runs_dir / "md-T500-seed1-pt" / "summary-production20ps.json").write_text(
        '{"status": "done", "production_ps": 20, "settings": {"production_ps": 20}}')
    (study / "derived").mkdir()
    (study / "derived" / "diffusion.json").write_text(
        '{"pending": {"per_run": [{"run_name": "md-T500-seed1-pt", "production_ps": 20.0, "converged": false}, '
        '{"run_name": "md-T500-seed2-pt", "production_ps": 20.0, "converged": false}]}}')
    (runs_dir / "md-T700-seed1").mkdir()
    result = subprocess.run([sys.executable, "-m", "analysis.plan", "show", str(path), str(study)],
                            cwd=paths.ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:8]}
    assert rows["md-T500-seed1"][:6] == ["fit", "0.04", "ps", "0.04", "ps", "done"]
    assert rows["md-T650-seed1"][3:6] == ["0.01", "ps", "stopped"]  # what it made before the monitors stopped it
    assert rows["md-T500-seed1-pt"][1:10] == ["40", "ps", "30", "ps", "unfinished", "not", "converged", "at", "20"]
    assert rows["md-T500-seed2-pt"][1:7] == ["40", "ps", "20", "ps", "to", "extend"]  # waits for make series
    assert rows["md-T500-seed3-pt"][1:6] == ["20", "ps", "0", "ps", "unfinished"]
    assert rows["md-T500-seed4-pt"][1:7] == ["20", "ps", "-", "not", "started", "-"]  # the set's first piece
    assert result.stdout.rstrip().endswith("outside the plan (never in the fit): md-T700-seed1")
    # without the study folder: the plan alone
    alone = plan.show(plan.load(path))
    assert alone[0].split() == ["md-T500-seed1", "fit", "0.04", "ps", "series"]


SUPERCELL = """
[[md]]
set = "finite size"
role = "pending"
rule = "the 2x2x2 supercell"
model = "tiny-model"
core_repulsion_fraction = 0.0
name_suffix = "-pt-sc2"
supercell = 2
temperatures_K = [500]
seeds = [1]
production_ps = 0.02
"""


def test_a_supercell_set_is_named_apart_and_made_in_the_repeated_cell(tmp_path):
    p = plan.load(write(tmp_path, SMALL.replace("[production]", SUPERCELL + "\n[production]")))
    mk = plan.makefile(p, "runs", 0)
    assert ("md-T500-seed1-pt-sc2.params := -p temperature_K 500 -p seed 1 -p production_ps 0.02 -p model_path "
            "runs/tiny-model/mace_stagetwo.model -p core_repulsion_fraction 0.0 -p supercell 2") in mk.splitlines()
    assert "supercell" not in mk.split("md-T500-seed1.params := ")[1].splitlines()[0]  # the 83-atom runs: as before
    for bad, message in (("supercell = 0", "supercell must be a positive integer"),
                         ('role = "fit"', "a supercell set must be pending"),
                         ("supercell = 1.5", "supercell must be a positive integer"),
                         ('name_suffix = ""', "a supercell set needs a name_suffix")):
        key = bad.split(" = ")[0]
        text = SUPERCELL.replace(next(line for line in SUPERCELL.splitlines() if line.startswith(key + " =")), bad)
        with pytest.raises(plan.PlanError, match=message):
            plan.load(write(tmp_path, SMALL.replace("[production]", text + "\n[production]")))


def test_supercell_runs_are_compared_with_the_cell_at_the_same_temperature_not_pooled(tiny_model, tmp_path):
    root = tmp_path / "runs"
    short = dict(temperature_K=500.0, seed=1, timestep_fs=1.0, equilibration_ps=0.004, production_ps=0.03,
                 sample_interval_fs=2.0, chunk_ps=0.03, min_distance_A=0.5)
    md.run_md(md.MDSettings(**short), tiny_model, root / "md-T500-seed1-pt")
    big = md.run_md(md.MDSettings(**short, supercell=2), tiny_model, root / "md-T500-seed1-pt-sc2")
    for name in ("md-T500-seed1-pt", "md-T500-seed1-pt-sc2"):
        run_files.export_positions(root / name, 2.0, stride_fs=4.0)  # enough frames for kinisi
    assert big["status"] == "done" and big["settings"]["supercell"] == 2
    frames, _ = run_files.read_positions(root / "md-T500-seed1-pt-sc2")
    assert len(frames[0]) == 8 * 83 and np.allclose(frames[0].cell.lengths(), 2 * data.read_extxyz(
        paths.dataset_xyz())[0].cell.lengths())
    # a run of the 83-atom cell records no supercell, so the runs made before the setting keep their identity
    assert "supercell" not in runs.read_json(root / "md-T500-seed1-pt" / "settings.json")["settings"]
    assert runs.read_json(root / "md-T500-seed1-pt-sc2" / "settings.json")["settings"]["supercell"] == 2
    used = [{**runs.read_json(root / n / "summary.json"), "run_dir": str(root / n), "set": "s", "role": "pending"}
            for n in ("md-T500-seed1-pt", "md-T500-seed1-pt-sc2")]
    pending = temperature_series.analyse_pending(used, [], 0.004, None, n_li=27, volume_A3=1676.0)
    assert [(r["run_name"], r["supercell"], r["n_atoms"]) for r in pending["per_run"]] == [
        ("md-T500-seed1-pt", 1, 83), ("md-T500-seed1-pt-sc2", 2, 664)]
    assert not any(r["still_running"] for r in pending["per_run"])
    # a supercell run is made once at its length, never doubled: done even when not converged below a cap
    doubled = {"cap_ps": 1000.0, "supercell": 1, "converged": False, "production_ps": 20.0}
    assert temperature_series.still_running(doubled)
    assert not temperature_series.still_running({**doubled, "supercell": 2})
    assert not temperature_series.still_running({**doubled, "production_ps": 1000.0})
    assert not temperature_series.still_running({**doubled, "converged": None})  # no rule: never doubled
    assert temperature_series.pending_state({**doubled, "cap_ps": None}) == "not converged"
    assert [r["n_runs"] for r in pending["per_temperature"]] == [1]  # the supercell stays out of the series
    [row] = pending["finite_size"]
    assert (row["supercell"], row["n_atoms"], row["n_runs_supercell"]) == (2, 664, 1)
    cell, sc = (next(r for r in pending["per_run"] if r["supercell"] == k) for k in (1, 2))
    assert row["D_supercell_cm2_s"] == pytest.approx(sc["D_cm2_s"]) and row["D_cell_cm2_s"] == pytest.approx(cell["D_cm2_s"])
    assert sc["D_cm2_s"] != cell["D_cm2_s"]
    assert row["ratio"] == pytest.approx(sc["D_cm2_s"] / cell["D_cm2_s"])
    assert row["ratio_err"] == pytest.approx(row["ratio"] * np.hypot(sc["D_err_cm2_s"] / sc["D_cm2_s"],
                                                                     cell["D_err_cm2_s"] / cell["D_cm2_s"]))
    assert row["pull"] == pytest.approx((sc["D_cm2_s"] - cell["D_cm2_s"]) / np.hypot(sc["D_err_cm2_s"], cell["D_err_cm2_s"]))
    # once the 83-atom series has become the fit, the supercell (still pending) is compared with the fit's D, if the
    # fit was made with the same model
    fit = temperature_series.analyse(used[:1], 0.004)
    alone = temperature_series.analyse_pending(used[1:], [], 0.004, None, n_li=27, volume_A3=1676.0,
                                               fit={"runs": used[:1], "per_temperature": fit["per_temperature"]})
    assert alone["per_temperature"] == [] and alone["finite_size"][0]["D_cell_cm2_s"] == pytest.approx(cell["D_cm2_s"])
    other = temperature_series.analyse_pending(used[1:], [], 0.004, None, n_li=27, volume_A3=1676.0,
                                               fit={"runs": [{**used[0], "model_sha256": "another file"}],
                                                    "per_temperature": fit["per_temperature"]})
    assert other["finite_size"][0]["D_cell_cm2_s"] is None


def test_a_superseded_series_is_analysed_as_it_was_fitted_and_kept_out_of_the_fit(tiny_model, tmp_path):
    root = tmp_path / "runs"
    short = dict(timestep_fs=1.0, equilibration_ps=0.01, production_ps=0.06, sample_interval_fs=2.0, chunk_ps=0.02,
                 min_distance_A=0.5)
    for T in (500, 650):
        md.run_md(md.MDSettings(temperature_K=float(T), seed=1, **short), tiny_model, root / f"md-T{T}-seed1")
        run_files.export_positions(root / f"md-T{T}-seed1", 2.0, stride_fs=4.0)
    # a superseded series (or a probe) keeps its runs' names while naming the model it was made with (no name_suffix)
    p = plan.load(write(tmp_path, SMALL.replace('role = "probe"', 'role = "previous"\nmodel = "train-other"')))
    assert [(r["run_name"], r["role"], r["model"]) for r in plan.md_runs(p)] == [
        ("md-T500-seed1", "fit", None), ("md-T650-seed1", "previous", "train-other")]
    used, excluded = temperature_series.collect_runs(root, plan.md_runs(p))
    used, excluded = temperature_series.restrict_to_intact(used, excluded, 0.0)
    (used, excluded), (old, old_excluded) = temperature_series.take_role(used, excluded, "previous")
    assert [r["run_name"] for r in used] == ["md-T500-seed1"] and excluded == []
    assert [(r["run_name"], r["role"]) for r in old] == [("md-T650-seed1", "previous")] and old_excluded == []
    # the same runs as a superseded series of two temperatures: its own Arrhenius fit, the verdicts only reported
    both = [{**r, "role": "previous", "set": "series"} for r in used] + old
    rule = {"min_msd_A2": 1e6, "min_slope_ratio": 0.0, "max_halves_pull": 100.0, "enforce": False}
    previous = temperature_series.analyse_previous(both, [], 0.01, rule, n_li=27, volume_A3=1676.0)
    assert previous["sets"] == ["series", "probes"] and previous["n_runs"] == 2
    assert previous["models"] == [None, "train-other"]  # each set's model in the plan; None: the production model
    assert [r["converged"] for r in previous["per_run"]] == [False, False]  # judged, yet both in its fit
    assert previous["arrhenius"]["T_range_K"] == [500, 650] and previous["arrhenius"]["n_temperatures"] == 2
    assert temperature_series.analyse_previous([], [], 0.01, rule, 27, 1676.0) is None
