# The LiPS diffusion study. `make report` regenerates everything; `make help` lists targets.
# Every training run and every MD run is its own target (its run summary), so finished pieces
# are reused, `make -j2` runs two of them at once (one thread each), and an interrupted run
# resumes from its checkpoint when the same target is made again.
# Expensive runs need their inputs (split, model) to exist but are not redone when those files
# are merely newer (file times in a fresh clone are arbitrary): each run folder records the sha256
# of its data and model and refuses, with a clear error, to continue with other inputs. Editing a
# notebook never silently reruns hours of finished work (delete the run folder to redo a run).

SHELL := /bin/bash
# no .DELETE_ON_ERROR: a failing step must leave the committed outputs as they were. Every step writes to a
# temporary name and renames on success, so a failure never leaves a half-written target that looks finished.
.SECONDARY:
.SUFFIXES:

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
JOBS ?= 2
LAUNCH ?=
# e.g. https://download.pytorch.org/whl/cpu for the CPU build of torch (PyPI serves the CUDA build)
TORCH_INDEX ?=

# ---- where results go (the smoke run uses its own folder) -------------------------------
STUDY ?= data
REPORT_OUT ?= report/_output
export LIPS_STUDY_DIR := $(abspath $(STUDY))
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
# the same BLAS kernel on every x86-64 machine, or kinisi's D differs by ~1 % between CPUs (analysis/numerics.py)
ifeq ($(shell uname -m),x86_64)
export OPENBLAS_CORETYPE := Haswell
endif
RUNS := $(STUDY)/runs
DERIVED := $(STUDY)/derived
NB := $(LAUNCH) $(PY) -m analysis.notebooks
# a cheap step, run only when the content of its prerequisites changed (analysis/steps.py): $(call step,NAME,OUTPUTS)
# followed by the command ($(call step,NAME,OUTPUTS,MORE): MORE are inputs that are not prerequisites). REDO=1 runs
# it anyway.
export REDO
step = $(PY) -m analysis.steps $(1) --inputs $(filter-out FORCE,$^) $(3) --outputs $(2) --
# cheap aggregate steps rerun when analysis code they import changes (analysis/steps.py follows the imports of
# each step's notebook); expensive runs do not
ANALYSIS_SRC := $(wildcard analysis/*.py)

# ---- the run plan: every run, its role and rule, and the selection rules are declared in study/plan.toml --------
# analysis/plan.py turns it into $(PLAN_MK) (git-ignored): run lists (MD_RUNS, TRAIN_RUNS, LC_RUNS, ARCH_RUNS,
# STAB_RUNS, PT_RUNS, FT_RUNS, SCREEN_RUNS), each run's notebook parameters (<run>.params) and prerequisites, and the
# defaults of the plan's settings (MIN_DIST, PAIR_FRAC, FIT_START_PS, MIN_INTACT_PS, COMMITTEE_LIMIT_FACTOR,
# TIMESTEP_FS, EQUIL_PS, PROD_PS, CHUNK_PS, CORE, COMMITTEE_EVERY_PS, NVE_PS, ARCH_STEPS), which the command line
# overrides (make study FIT_START_PS=8). `make -s plan` lists the MD runs with their roles and where each stands.
PLAN ?= study/plan.toml
# (remade on every call, in milliseconds; written only when it changes, so Make rereads it only then)
PLAN_MK := $(STUDY)/.plan.mk
.DEFAULT_GOAL := help
include $(PLAN_MK)
$(PLAN_MK): FORCE
	@$(PYTHON) -m analysis.plan make $(PLAN) $(STUDY) $@

# ---- settings that are not part of the plan -----------------------------------------------------------------------
N_TEST ?= 40
# SOURCE=full: the whole LiPS file (lips.xyz, placed in the cache) subsampled to N_CONFIGS frames
SOURCE ?= dev
N_CONFIGS ?= null
SPLIT_SEED ?= 0
# how the model executes in MD: default = torch.compile (same forces to ~5e-6 eV/A; after ~30 s of compilation
# 1.2-1.3x faster for one run alone, 1.0-1.2x for two side by side (make bench); falls back to eager without a C++
# compiler), none = eager. Not a physical setting.
MD_COMPILE ?= default

# one MD run outside the plan (analysed and listed, never in the fit): make md T=650 SEED=2
T ?= 600
SEED ?= 1
# one training run outside the plan: make train ARCH=c32-L0-r5 N_TRAIN=160 EPOCHS=80 STAGE2=60
ARCH ?= c32-L0-r5
N_TRAIN ?= 160
EPOCHS ?= 40
STAGE2 ?= null

PROD_RUN := $(RUNS)/$(PROD_RUN_NAME)
MODEL_RUN := $(RUNS)/$(MODEL_RUN_NAME)
MODEL := $(STUDY)/model/lips_mace.model
DATASET := $(DERIVED)/dataset.json
SPLIT := $(DERIVED)/split.json
# target files of the plan's runs
run_files = $(addprefix $(RUNS)/,$(addsuffix /$(2),$(1)))
MD_TARGETS = $(call run_files,$(MD_RUNS),summary.json)
PENDING_TARGETS = $(call run_files,$(PENDING_MD_RUNS),summary.json)
# ---- settings given on the command line must be known (a misspelt FIT_STRT_PS=8 would silently run the default) --
# (checked once the plan's makefile exists: it declares the plan's settings)
KNOWN_VARS := $(shell sed -nE 's/^([A-Z][A-Z0-9_]*) *[?:+]?=.*/\1/p' $(firstword $(MAKEFILE_LIST)) $(wildcard $(PLAN_MK))) REDO
CMDLINE_VARS := $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v)))
UNKNOWN_VARS := $(filter-out $(KNOWN_VARS) MAKEFLAGS MFLAGS,$(CMDLINE_VARS))
ifneq ($(and $(UNKNOWN_VARS),$(wildcard $(PLAN_MK))),)
$(error $(shell $(PYTHON) -c 'import difflib, sys; bad, known = sys.argv[1].split(), sys.argv[2].split(); \
  print("; ".join(f"unknown setting {b}" + "".join(f" (did you mean {m}?)" for m in difflib.get_close_matches(b, known, 1)) \
  for b in bad) + " - make -s print-VAR shows a setting, the Makefile lists them all")' \
  "$(UNKNOWN_VARS)" "$(KNOWN_VARS)"))
endif
# ---- cheap steps ------------------------------------------------------------------------------------------
# Every cheap aggregate step (notebooks 1, 3, 5-9, the summary, the model promotion, the split) is always handed to
# analysis/steps.py, which runs it only when its command (settings included) or the content of a prerequisite changed,
# and otherwise says "kept" and writes nothing: `make study FIT_START_PS=8` reruns notebook 6 and what reads it, a fresh
# clone reruns nothing. Expensive runs are file targets with their settings in their folder names and settings.json.
.PHONY: FORCE
# make bench results are optional (never made by make report) but followed when present: notebook 6 and the
# summary quote them
BENCH_RESULTS := $(wildcard $(DERIVED)/benchmarks.json)
# every finished MD run on disk: notebook 6 lists the ones outside the plan (never in the fit)
DONE_MD := $(wildcard $(RUNS)/md-*/summary.json)
# the pending series' finished runs: inputs of notebooks 5 and 6 (a new piece reruns them), never prerequisites, so
# that make study never extends one (only make series does)
# (a run being extended counts at its last finished piece, whose summary the extension set aside)
MADE_PENDING := $(filter $(PENDING_TARGETS),$(DONE_MD)) \
  $(foreach r,$(PENDING_MD_RUNS),$(wildcard $(RUNS)/$(r)/summary-production*ps.json))
DONE_NOT_PENDING := $(filter-out $(PENDING_TARGETS),$(DONE_MD))

FIGURES := $(addprefix $(DERIVED)/figures/,dataset_overview.png learning_curve.png msd.png arrhenius.png stability.png \
  committee.png architecture.png)

.PHONY: help report study render smoke test test-all install md train bench gpu-prepare clean-smoke stability architecture \
  teacher-env synthetic pretrain screens pretraining handin plan pretrained-learning-curve ps4-dft series \
  finite-size
help:
	@echo "make report      - install, run the whole study (make -j$(JOBS)), render the report"
	@echo "make render      - re-render the report from existing results (no computation)"
	@echo "make handin      - the hand-in: every executed notebook as .ipynb and PDF, the report, an index (handin/)"
	@echo "make smoke       - the whole pipeline on tiny settings into data/smoke/"
	@echo "make test        - the test suite (includes the smoke pipeline)"
	@echo "make -s plan     - every MD run of the plan (study/plan.toml): role, ps asked and made, last verdict"
	@echo "make series      - the next piece of the plan's pending series (role pending; never made by make report)"
	@echo "make finite-size - the pending supercell runs (the finite-size check; long: ~12 core-hours each)"
	@echo "make md T=650 SEED=2   - one MD run with the production model outside the plan (never in the fit)"
	@echo "make train ARCH=c32-L0-r5 EPOCHS=80 STAGE2=60   - one training run outside the plan"
	@echo "make stability   - time-to-failure MD of the candidate models (the plan's [[stability]] sets)"
	@echo "make architecture - test error against MD speed of the candidate architectures ([architecture])"
	@echo "make ps4-dft     - GPAW PBE on broken and intact PS4 frames ([ps4_dft]; needs the dft extra, ~1.5 h)"
	@echo "make gpu-prepare - what a lent GPU machine needs (.whl/, .device/run.sh; see analysis/gpu.py)"
	@echo "make bench       - benchmarks (BENCH=md|dft|stages|models|all) -> data/derived/benchmarks.json, README"
	@echo "make test-all    - the tests including those marked slow"
	@echo "make -s print-MD_RUNS - the value of any setting or list"

report: $(INSTALLED)
	$(MAKE) -j$(JOBS) study
	$(MAKE) render

# synthetic pre-training (notebook 9) is part of the study when the plan's [pretraining] names architectures
PT_RESULTS = $(if $(strip $(PT_ARCHS)),$(DERIVED)/pretraining.json)
# the MD run whose notebook 4 is part of the hand-in: the plan's [handin] md_run, else this (defined before the study
# target, whose prerequisites Make expands as it reads them)
HANDIN_MD_RUN ?= md-T500-seed1
HANDIN_MD_NOTEBOOK = $(if $(filter $(HANDIN_MD_RUN),$(MD_RUNS)),$(RUNS)/$(HANDIN_MD_RUN)/notebook.ipynb)
# notebook 2 as the hand-in shows it: the production training run's notebook executed again on the finished run
TRAIN_NOTEBOOK = $(DERIVED)/notebooks/02_train.ipynb
study: $(DERIVED)/summary.json $(FIGURES) $(PT_RESULTS) $(HANDIN_MD_NOTEBOOK) $(TRAIN_NOTEBOOK)

plan:
	@$(PYTHON) -m analysis.plan show $(PLAN) $(STUDY)

# ---- environment ------------------------------------------------------------------------
install: $(INSTALLED)
# the stamp holds the hash of the files the environment is made from: `make -B` or a fresh clone's file times
# do not reinstall an environment made from the same files
ENV_HASH = $(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
$(INSTALLED): pyproject.toml requirements.lock
	@if [ -x $(PY) ] && [ "$$(cat $@ 2>/dev/null)" = "$(ENV_HASH)" ]; then touch $@; \
	  echo "$(VENV): made from the same pyproject.toml and requirements.lock; kept"; exit 0; fi; \
	set -ex; test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(VENV)/bin/pip install --quiet --upgrade pip; \
	$(VENV)/bin/pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)); \
	$(VENV)/bin/pip install --quiet -r requirements.lock; \
	$(VENV)/bin/pip install --quiet --no-deps -e .; \
	$(PY) -m ipykernel install --sys-prefix --name lips-study --display-name "LiPS study" >/dev/null; \
	echo "$(ENV_HASH)" > $@

# ---- 1. dataset ---------------------------------------------------------------------------
# the extxyz files are git-ignored conversions every training and MD run reads: a fresh clone remakes them
XYZ := $(addprefix $(DERIVED)/split/,dataset.extxyz train.extxyz test.extxyz)
# verified download, decode, validate, split: split.json is rewritten only if it changes
$(SPLIT) $(XYZ) &: FORCE | $(INSTALLED)
	$(call step,split,$(SPLIT) $(XYZ)) $(PY) -m analysis.data prepare $(N_TEST) $(SPLIT_SEED) $(SOURCE) $(N_CONFIGS)
DATASET_OUT := $(DATASET) $(DERIVED)/figures/dataset_overview.png $(DERIVED)/notebooks/01_dataset.ipynb
$(DATASET) $(DERIVED)/figures/dataset_overview.png &: FORCE study/01_dataset.py $(ANALYSIS_SRC) $(SPLIT) | $(XYZ) $(INSTALLED)
	$(call step,dataset,$(DATASET_OUT)) $(NB) study/01_dataset.py $(DERIVED)/notebooks/01_dataset.ipynb \
	  -p n_test $(N_TEST) -p split_seed $(SPLIT_SEED) -p source $(SOURCE) -p n_configs $(N_CONFIGS)

# ---- 2. training runs: every run of the plan (production, learning curve, candidates, pre-training) ----------------
TRAIN_TARGETS = $(call run_files,$(sort $(TRAIN_RUNS) $(FT_RUNS) $(PT_LC_RUNS)),evaluation.json)
$(TRAIN_TARGETS): $(RUNS)/%/evaluation.json: | $(SPLIT) $(XYZ) study/02_train.py $(INSTALLED)
	$(NB) study/02_train.py $(RUNS)/$*/notebook.ipynb $($*.params) -p run_name $*

$(MODEL): FORCE $(MODEL_RUN)/evaluation.json
	$(call step,model,$(MODEL)) $(PY) -m analysis.summary promote $(MODEL_RUN)

# (a minute: it evaluates the saved model again, record=False, and writes only the report's parity figure; the run's
# own notebook keeps the training log)
$(TRAIN_NOTEBOOK): FORCE study/02_train.py $(ANALYSIS_SRC) $(MODEL_RUN)/evaluation.json | $(XYZ) $(INSTALLED)
	$(call step,train_notebook,$@ $(DERIVED)/figures/production_parity.png) $(NB) study/02_train.py $@ $($(MODEL_RUN_NAME).params) -p run_name $(MODEL_RUN_NAME) \
	  -p record False

train: $(INSTALLED) $(SPLIT) $(XYZ)
	$(NB) study/02_train.py $(RUNS)/train-$(ARCH)-n$(N_TRAIN)-seed$(SEED)-ep$(EPOCHS)/notebook.ipynb \
	  -p architecture $(ARCH) -p n_train $(N_TRAIN) -p seed $(SEED) -p max_epochs $(EPOCHS) -p stage_two_start_epoch $(STAGE2)

# ---- 3. learning curve --------------------------------------------------------------------
# with the plan's [pretraining] learning_curve_seeds, also the learning curve fine-tuned from the pre-trained model
$(DERIVED)/learning_curve.json $(DERIVED)/figures/learning_curve.png &: FORCE study/03_learning_curve.py $(ANALYSIS_SRC) \
  $(call run_files,$(LC_RUNS) $(PT_LC_RUNS),evaluation.json) | $(INSTALLED)
	$(call step,learning_curve,$(DERIVED)/learning_curve.json $(DERIVED)/figures/learning_curve.png) \
	  $(NB) study/03_learning_curve.py $(DERIVED)/notebooks/03_learning_curve.ipynb -p group $(LC_GROUP) \
	  -p pretrained_runs "$(PT_LC_RUNS)"

# ---- 4. MD runs of the plan ([[md]] sets) -----------------------------------------------------------------------
MD_PARAMS = -p timestep_fs $(TIMESTEP_FS) -p equilibration_ps $(EQUIL_PS) \
  -p chunk_ps $(CHUNK_PS) -p min_distance_A $(MIN_DIST) -p pair_min_fraction $(PAIR_FRAC) \
  -p core_repulsion_fraction $(CORE) -p compile_mode $(MD_COMPILE)
# (a set's own model or core repulsion, in the run's params, comes after the protocol's and wins; a finished run the
# plan now asks to be longer is extended from its checkpoint)
$(MD_TARGETS) $(PENDING_TARGETS): $(RUNS)/%/summary.json: | $(MODEL) $(XYZ) study/04_md.py $(INSTALLED)
	$(NB) study/04_md.py $(RUNS)/$*/notebook.ipynb $(MD_PARAMS) $($*.params) -p run_name $*

# the plan's pending series (role "pending"), run in pieces: never started by make report; each piece is a longer
# production_ps of its set in the plan (runs continue from their committed checkpoints)
series: $(filter-out $(call run_files,$(SUPERCELL_MD_RUNS),summary.json),$(PENDING_TARGETS))
# the pending supercell runs (the finite-size check, about 12 core-hours each): only when asked for
finite-size: $(call run_files,$(SUPERCELL_MD_RUNS),summary.json)

# notebook 4 of the hand-in's MD run, executed again on the finished run (seconds: nothing is recomputed), so that its
# discussion answers follow the current notebook and results
# (HANDIN_MD_RUN and HANDIN_MD_NOTEBOOK are defined above the study target, which lists it)
$(HANDIN_MD_NOTEBOOK): FORCE study/04_md.py $(ANALYSIS_SRC) $(RUNS)/$(HANDIN_MD_RUN)/summary.json $(BENCH_RESULTS) \
  | $(MODEL) $(INSTALLED)
	$(call step,md_notebook,$@) $(NB) study/04_md.py $@ $(MD_PARAMS) $($(HANDIN_MD_RUN).params) -p run_name $(HANDIN_MD_RUN)

md: $(INSTALLED) $(MODEL) $(XYZ)
	$(NB) study/04_md.py $(RUNS)/md-T$(T)-seed$(SEED)/notebook.ipynb -p temperature_K $(T) -p seed $(SEED) \
	  $(MD_PARAMS) -p run_name md-T$(T)-seed$(SEED) -p production_ps $(PROD_PS)

# ---- stability of candidate models (time to first failure): the plan's [[stability]] sets and the screens of the
# fine-tuned models ([pretraining]); each run's model is a prerequisite named in the plan's makefile
STAB_TARGETS = $(call run_files,$(STAB_RUNS),summary.json)
SCREEN_TARGETS = $(call run_files,$(SCREEN_RUNS),summary.json)
CANDIDATE_MD = -p equilibration_ps 0 -p timestep_fs $(TIMESTEP_FS) -p chunk_ps 2 -p min_distance_A $(MIN_DIST) \
  -p pair_min_fraction $(PAIR_FRAC)
$(STAB_TARGETS): $(RUNS)/%/summary.json: | study/04_md.py $(XYZ) $(INSTALLED)
	$(NB) study/04_md.py $(RUNS)/$*/notebook.ipynb $($*.params) $(CANDIDATE_MD) -p run_name $*
$(SCREEN_TARGETS): $(RUNS)/%/summary.json: | study/04_md.py $(XYZ) $(INSTALLED)
	$(NB) study/04_md.py $(RUNS)/$*/notebook.ipynb $($*.params) $(CANDIDATE_MD) -p compile_mode $(MD_COMPILE) \
	  -p run_name $*

# is the PS4 breaking physical? GPAW PBE on the plan's [ps4_dft] frames (needs pip install -e '.[dft]', ~3-4 CPU-min
# per frame, resumable frame by frame), the teacher on the same frames; the per-frame results are committed, so
# notebook 7 compares them with the production model without GPAW
PS4_DFT := $(DERIVED)/ps4_dft
ps4-dft: $(INSTALLED) $(TEACHER_INSTALLED) | $(XYZ)
	$(PY) -m analysis.ps4_dft select $(PLAN)
	PYTHONPATH=. $(TEACHER_PY) -m analysis.teacher label-file $(PS4_DFT)/frames.extxyz $(PS4_DFT)/teacher.npz
	$(PY) -m analysis.ps4_dft label $(PLAN)

stability: $(DERIVED)/stability.json
$(DERIVED)/stability.json $(DERIVED)/figures/stability.png &: FORCE study/07_stability.py $(ANALYSIS_SRC) $(PLAN) \
  $(STAB_TARGETS) $(MD_TARGETS) $(DERIVED)/diffusion.json $(wildcard $(PS4_DFT)/dft/*.json $(PS4_DFT)/teacher.npz) \
  $(MODEL) | $(INSTALLED)
	$(call step,stability,$(DERIVED)/stability.json $(DERIVED)/figures/stability.png) \
	  $(NB) study/07_stability.py $(DERIVED)/notebooks/07_stability.ipynb -p plan_file $(PLAN) \
	  -p nve_duration_ps $(NVE_PS)

# ---- accuracy against speed of candidate architectures ([architecture]) ------------------------------------------
# MD timings are measurements of a machine, kept in derived/measurements/md_speed.json; REMEASURE=1 times every model again
REMEASURE ?=
architecture: $(DERIVED)/architecture.json
$(DERIVED)/architecture.json $(DERIVED)/figures/architecture.png &: FORCE study/08_architecture.py $(ANALYSIS_SRC) \
  $(PLAN) $(call run_files,$(ARCH_RUNS),evaluation.json) $(DERIVED)/stability.json | $(INSTALLED)
	$(call step,architecture,$(DERIVED)/architecture.json $(DERIVED)/figures/architecture.png) \
	  $(NB) study/08_architecture.py $(DERIVED)/notebooks/08_architecture.ipynb -p candidates "$(ARCH_RUNS)" \
	  -p steps $(ARCH_STEPS) -p timestep_fs $(TIMESTEP_FS) -p remeasure $(if $(filter-out 0,$(REMEASURE)),True,False) \
	  -p plan_file $(PLAN)

# ---- synthetic pre-training: teacher labels (SevenNet-0, own environment), pre-train, fine-tune -------------
# analysis/synthetic.py and analysis/teacher.py; the recipe and the label chunks are committed, so a fresh clone
# never needs the teacher: it only reassembles the labelled set (git-ignored) from them
TEACHER_VENV ?= .venv-teacher
TEACHER_PY := $(TEACHER_VENV)/bin/python
TEACHER_INSTALLED := $(TEACHER_VENV)/.installed
TEACHER_HASH = $(shell cat requirements-teacher.lock | sha256sum | cut -c1-16)
SYN := $(DERIVED)/synthetic
SYN_CHUNKS = $(shell $(PYTHON) -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["chunks"]))' \
  $(SYN)/recipe.json 2>/dev/null)
SYN_LABELS = $(addprefix $(SYN)/labels/,$(addsuffix .npz,$(SYN_CHUNKS)))
PRETRAIN_XYZ := $(SYN)/pretrain.extxyz

teacher-env: $(TEACHER_INSTALLED)
$(TEACHER_INSTALLED): requirements-teacher.lock
	@if [ -x $(TEACHER_PY) ] && [ "$$(cat $@ 2>/dev/null)" = "$(TEACHER_HASH)" ]; then touch $@; exit 0; fi; \
	set -ex; test -x $(TEACHER_PY) || $(PYTHON) -m venv $(TEACHER_VENV); \
	$(TEACHER_VENV)/bin/pip install --quiet --upgrade pip; \
	$(TEACHER_VENV)/bin/pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)); \
	$(TEACHER_VENV)/bin/pip install --quiet -r requirements-teacher.lock; \
	echo "$(TEACHER_HASH)" > $@

$(SYN)/recipe.json: | $(XYZ) $(INSTALLED)
	$(PY) -m analysis.synthetic recipe
# one chunk of ~100 configurations per target (~1 min on one core), resumable chunk by chunk
$(SYN)/labels/%.npz: | $(SYN)/recipe.json $(XYZ) $(INSTALLED)
	$(MAKE) --no-print-directory $(TEACHER_INSTALLED)
	$(PY) -m analysis.synthetic build $*
	PYTHONPATH=. $(TEACHER_PY) -m analysis.teacher label $*
$(PRETRAIN_XYZ) $(SYN)/pretrain.json &: $(SYN_LABELS) $(SYN)/recipe.json | $(XYZ) $(INSTALLED)
	$(PY) -m analysis.synthetic assemble
synthetic: $(PRETRAIN_XYZ)

# pre-training on the synthetic set (the fine-tuning runs are training runs above, each after its pre-training run)
$(call run_files,$(PT_RUNS),evaluation.json): $(RUNS)/%/evaluation.json: | $(PRETRAIN_XYZ) $(SPLIT) $(XYZ) study/02_train.py \
  $(INSTALLED)
	$(NB) study/02_train.py $(RUNS)/$*/notebook.ipynb $($*.params) -p train_file $(PRETRAIN_XYZ) -p run_name $*
pretrain: $(call run_files,$(FT_RUNS),evaluation.json)
pretrained-learning-curve: $(call run_files,$(PT_LC_RUNS),evaluation.json)
screens: $(SCREEN_TARGETS)

PRETRAIN_OUT := $(DERIVED)/pretraining.json $(DERIVED)/figures/pretraining.png
pretraining: $(DERIVED)/pretraining.json
$(PRETRAIN_OUT) &: FORCE study/09_pretraining.py $(ANALYSIS_SRC) $(PLAN) $(SYN)/pretrain.json $(DERIVED)/committee.json \
  $(DERIVED)/stability.json \
  $(call run_files,$(PT_RUNS) $(FT_RUNS) $(ARCH_RUNS),evaluation.json) $(PROD_RUN)/evaluation.json $(SCREEN_TARGETS) \
  $(STAB_TARGETS) | $(INSTALLED)
	$(call step,pretraining,$(PRETRAIN_OUT)) $(NB) study/09_pretraining.py $(DERIVED)/notebooks/09_pretraining.ipynb \
	  -p plan_file $(PLAN) -p production_run $(PROD_RUN_NAME) -p committee_group $(LC_GROUP)

# ---- 5. committee monitor, 6. diffusion + Arrhenius: the plan's MD runs; the summary ----------------------------
$(DERIVED)/committee.json $(DERIVED)/figures/committee.png &: FORCE study/05_committee.py $(ANALYSIS_SRC) $(PLAN) \
  $(MD_TARGETS) $(DONE_NOT_PENDING) $(call run_files,$(LC_RUNS),evaluation.json) | $(INSTALLED)
	$(call step,committee,$(DERIVED)/committee.json $(DERIVED)/figures/committee.png,$(MADE_PENDING)) \
	  $(NB) study/05_committee.py $(DERIVED)/notebooks/05_committee.ipynb -p plan_file $(PLAN) -p group $(LC_GROUP) \
	  -p every_ps $(COMMITTEE_EVERY_PS) -p limit_factor $(COMMITTEE_LIMIT_FACTOR)

$(DERIVED)/diffusion.json $(DERIVED)/figures/msd.png $(DERIVED)/figures/arrhenius.png &: FORCE study/06_diffusion.py \
  $(ANALYSIS_SRC) $(PLAN) $(MD_TARGETS) $(DONE_NOT_PENDING) $(DATASET) $(DERIVED)/committee.json $(BENCH_RESULTS) \
  | $(INSTALLED)
	$(call step,diffusion,$(DERIVED)/diffusion.json $(DERIVED)/figures/msd.png $(DERIVED)/figures/arrhenius.png,$(MADE_PENDING)) \
	  $(NB) study/06_diffusion.py $(DERIVED)/notebooks/06_diffusion.ipynb -p plan_file $(PLAN) \
	  -p fit_start_ps $(FIT_START_PS) -p min_intact_ps $(MIN_INTACT_PS) -p reference_ps $(PROD_PS)

$(DERIVED)/summary.json: FORCE $(ANALYSIS_SRC) $(DATASET) $(MODEL) $(DERIVED)/learning_curve.json $(DERIVED)/diffusion.json $(PT_RESULTS) \
  $(DERIVED)/stability.json $(DERIVED)/committee.json $(DERIVED)/architecture.json $(BENCH_RESULTS) | $(INSTALLED)
	$(call step,summary,$@) $(PY) -m analysis.summary build

# ---- report -------------------------------------------------------------------------------
render: $(INSTALLED)
	$(PY) -m analysis.render --out $(REPORT_OUT)

# ---- the practical's hand-in: every executed notebook as .ipynb and PDF, the report, an index -----------------
HANDIN ?= handin
handin: render
	$(PY) -m analysis.handin --out $(HANDIN) --report $(REPORT_OUT) --md-run $(HANDIN_MD_RUN)

# ---- smoke pipeline and tests ---------------------------------------------------------------
SMOKE_DIR ?= data/smoke
SMOKE := STUDY=$(SMOKE_DIR) REPORT_OUT=$(SMOKE_DIR)/report PLAN=study/plan-smoke.toml MD_COMPILE=none
smoke: $(INSTALLED)
	$(MAKE) -j$(JOBS) study $(SMOKE)
	$(MAKE) render $(SMOKE)

clean-smoke:
	rm -rf $(SMOKE_DIR)

# the teacher's environment too: tests label two configurations with it
test: $(INSTALLED) $(TEACHER_INSTALLED)
	$(PY) -m pytest -q --durations=15 tests

test-all: $(INSTALLED) $(TEACHER_INSTALLED)
	$(PY) -m pytest -q --run-slow tests

# the value of any setting or list, e.g. make -s print-MD_RUNS
print-%:
	@echo '$($*)'

# BENCH=md|dft|stages|models|all; the DFT part needs pip install '.[dft]'; BENCH_DFT: GPAW modes (lcao, pw)
BENCH ?= all
BENCH_DFT ?= lcao pw
bench: $(INSTALLED) $(XYZ)
	$(PY) -m analysis.bench $(BENCH) $(addprefix --dft-mode ,$(BENCH_DFT)) --plan $(PLAN)

# ---- a lent GPU machine (analysis/gpu.py): wheels, reference forces, the runs' jobs and .device/run.sh -----------
# the runs it continues: by default the 664-atom finite-size runs (a GPU makes them ~15x faster than a CPU core)
GPU_RUNS ?= $(SUPERCELL_MD_RUNS)
gpu-prepare: $(INSTALLED) $(XYZ) $(PLAN_MK)
	$(PY) -m analysis.gpu prepare $(GPU_RUNS)
