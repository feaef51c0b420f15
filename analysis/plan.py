"""The study's run plan (``study/plan.toml``): every run, its role and the rule that made it.

Standard library only: Make runs ``python3 -m analysis.plan make PLAN OUT`` before the environment exists
and includes the makefile it writes (run lists, each run's notebook parameters and prerequisites); the
notebooks read the same file through ``md_runs`` and ``selection``. Run names are the folder names under
``data/runs`` (e.g. ``md-T400-seed3``, ``train-c32-L0-r5-n10-seed1-ep640-s2``).
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

from analysis.runs import temporary_path

# fit: enters the Arrhenius fit if it passes [selection]; probe: analysed, never fitted; pending: a series being run in
# pieces (``make series``, never by ``make report``), analysed apart from the fit while its runs accumulate, and fitted
# once its role becomes fit; previous: a series superseded by a later one, analysed for comparison, never fitted
ROLES = ("fit", "probe", "pending", "previous")
OUTSIDE = "outside the plan"  # the role of a run found on disk that no set of the plan declares
NOT_CONVERGED = "not converged: "  # how the reason begins for a run that [convergence], when enforced, leaves out

_SECTIONS = {
    "selection": {"min_distance_A", "pair_min_fraction", "committee_limit_factor", "min_intact_ps", "fit_start_ps"},
    "convergence": {"rule", "min_msd_A2", "max_halves_pull", "min_slope_ratio", "max_grid_pull", "enforce"},
    "md_protocol": {"timestep_fs", "equilibration_ps", "production_ps", "chunk_ps", "core_repulsion_fraction",
                    "committee_every_ps"},
    "md": {"set", "role", "rule", "temperatures_K", "seeds", "runs", "production_ps", "model", "core_repulsion_fraction",
           "name_suffix", "core_hours", "cap_ps", "supercell"},
    "production": {"rule", "architecture", "n_train", "epochs", "stage_two_start_epoch", "fine_tuned"},
    "learning_curve": {"rule", "architecture", "sizes", "seeds", "epochs_at_160", "max_epochs", "stage_two_percent",
                       "name_suffix"},
    "architecture": {"rule", "candidates", "n_train", "epochs", "stage_two_start_epoch", "name_suffix", "md_steps"},
    "extra_training": {"rule", "architecture", "n_train", "epochs", "stage_two_start_epoch", "name_suffix",
                       "pair_repulsion", "group"},
    "stability": {"rule", "models", "temperatures_K", "seeds", "production_ps", "core_repulsion_fraction"},
    "stability_nve": {"duration_ps"},
    "pretraining": {"rule", "architectures", "epochs", "stage_two_start_epoch", "per_architecture",
                    "screen_temperatures_K", "screen_seeds", "screen_ps", "learning_curve_seeds",
                    "production_budget"},
    "ps4_dft": {"rule", "runs", "frames_per_kind", "mode"},
    "handin": {"md_run"},
}
_REQUIRED = {"selection", "md_protocol", "md", "production", "learning_curve"}


class PlanError(ValueError):
    """A plan file that cannot be used; the message names the file and the problem."""


def load(path: Path | str) -> dict:
    """The plan, checked: known sections and keys only, every MD set with a role and a rule, no run twice."""
    path = Path(path)
    try:
        plan = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError(f"{path}: plan file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise PlanError(f"{path}: not valid TOML ({err})") from None
    for section in plan:
        if section not in _SECTIONS:
            raise PlanError(f"{path}: unknown section [{section}] (known: {', '.join(sorted(_SECTIONS))})")
    for section in _REQUIRED - set(plan):
        raise PlanError(f"{path}: section [{section}] missing")
    for section, body in plan.items():
        for i, entry in enumerate(body if isinstance(body, list) else [body]):
            unknown = set(entry) - _SECTIONS[section]
            if unknown:
                raise PlanError(f"{path}: [{section}] entry {i + 1}: unknown key {sorted(unknown)[0]!r}")
    for s in plan["md"]:
        label = f"{path}: [[md]] set {s.get('set', '?')!r}"
        if s.get("role") not in ROLES:
            raise PlanError(f"{label}: role must be one of {', '.join(ROLES)}, not {s.get('role')!r}")
        if not s.get("rule"):
            raise PlanError(f"{label}: every set states the rule that made it (rule = \"...\")")
        if ("runs" in s) == ("temperatures_K" in s):
            raise PlanError(f"{label}: give either runs = [[T, seed], ...] or temperatures_K and seeds")
        if s.get("cap_ps") is not None and s.get("cap_ps") < s.get("production_ps", plan["md_protocol"]["production_ps"]):
            raise PlanError(f"{label}: cap_ps is shorter than the first piece (production_ps)")
        cells = s.get("supercell", 1)
        if not isinstance(cells, int) or isinstance(cells, bool) or cells < 1:
            raise PlanError(f"{label}: supercell must be a positive integer (n x n x n repeats), not {cells!r}")
        if cells > 1 and s.get("role") != "pending":
            raise PlanError(f"{label}: a supercell set must be pending (analysed apart as the finite-size check, "
                            "never pooled with the 83-atom runs)")
        if cells > 1 and not s.get("name_suffix"):
            raise PlanError(f"{label}: a supercell set needs a name_suffix (its runs must not share names with the "
                            "83-atom runs')")
        if s.get("model") and not s.get("name_suffix") and s.get("role") == "pending":
            # sets made before a model change (fit or probe then, probe or previous after) keep their runs' names
            raise PlanError(f"{label}: a pending set with its own model needs a name_suffix (its runs must not share "
                            "names with the production model's)")
    names = [r["run_name"] for r in md_runs(plan)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PlanError(f"{path}: {twice[0]} is declared in two [[md]] sets")
    plan["_path"] = str(path)
    return plan


def _number(x: float) -> str:
    """A number as it appears in run names and Make parameters: 300.0 -> 300, 0.9 -> 0.9."""
    return f"{x:g}"


def md_name(temperature_K: float, seed: int, suffix: str = "") -> str:
    """``md-T400-seed1``, plus the set's ``name_suffix`` (e.g. ``-pt`` for a series made with another model)."""
    return f"md-T{_number(temperature_K)}-seed{seed}{suffix}"


def md_runs(plan: dict) -> list[dict]:
    """Every production-protocol MD run of the plan, in plan order: name, temperature, seed, length, set, role, rule,
    ``model`` (a training run's name, whose ``mace_stagetwo.model`` makes the run; None: the production model) and
    ``core_repulsion_fraction`` (None: ``[md_protocol]``'s) and ``supercell`` (n: the cell repeated n x n x n)."""
    default_ps = plan["md_protocol"]["production_ps"]
    out = []
    for s in plan["md"]:
        pairs = ([tuple(p) for p in s["runs"]] if "runs" in s
                 else [(T, seed) for T in s["temperatures_K"] for seed in s["seeds"]])
        for T, seed in pairs:
            out.append({"run_name": md_name(T, seed, s.get("name_suffix", "")), "temperature_K": T, "seed": seed,
                        "production_ps": s.get("production_ps", default_ps), "set": s["set"],
                        "role": s["role"], "rule": " ".join(s["rule"].split()), "model": s.get("model"),
                        "core_repulsion_fraction": s.get("core_repulsion_fraction"), "cap_ps": s.get("cap_ps"),
                        "supercell": s.get("supercell", 1)})
    return out


def md_model_path(run: dict, runs_dir: Path | str, production_model: Path | str) -> Path:
    """The model file that makes a planned MD run (``md_runs`` entry): its set's training run, or the production
    model."""
    return Path(runs_dir) / run["model"] / "mace_stagetwo.model" if run.get("model") else Path(production_model)


def md_sets(plan: dict) -> list[dict]:
    """The plan's MD sets in plan order: name, role and rule (recorded in diffusion.json for the report)."""
    return [{"set": s["set"], "role": s["role"], "rule": " ".join(s["rule"].split()),
             **{k: s[k] for k in ("model", "core_repulsion_fraction", "core_hours", "supercell", "cap_ps") if k in s}}
            for s in plan["md"]]


def train_name(architecture: str, n_train: int, seed: int, epochs: int, suffix: str = "") -> str:
    return f"train-{architecture}-n{n_train}-seed{seed}-ep{epochs}{suffix}"


def _train(architecture, n_train, seed, epochs, stage_two, group, suffix="", **extra) -> dict:
    return {"run_name": train_name(architecture, n_train, seed, epochs, suffix), "architecture": architecture,
            "n_train": n_train, "seed": seed, "max_epochs": epochs, "stage_two_start_epoch": stage_two,
            "group": group, **extra}


def learning_curve_epochs(lc: dict, n_train: int) -> int:
    """Epochs giving ``n_train`` configurations as many gradient updates as ``epochs_at_160`` give 160."""
    return min(lc.get("max_epochs", 2000), lc["epochs_at_160"] * 160 // n_train)


def learning_curve_group(plan: dict) -> str:
    """The training group of the learning-curve runs (``learning_curve_s2`` with stage two)."""
    return "learning_curve" + plan["learning_curve"].get("name_suffix", "").replace("-", "_")


def training_runs(plan: dict) -> list[dict]:
    """Every training run from the DFT data: production, learning curve, architecture candidates, extra models;
    each once (a run two sets share, e.g. the reference candidate, is listed under the first)."""
    p, lc = plan["production"], plan["learning_curve"]
    # the report's parity figure comes from the production model: this run, unless a fine-tuned one replaced it
    runs = [_train(p["architecture"], p["n_train"], 1, p["epochs"], p["stage_two_start_epoch"], "production",
                   **({} if p.get("fine_tuned") else {"figure_prefix": "production"}))]
    percent = lc.get("stage_two_percent", 0)
    for n in lc["sizes"]:
        for seed in lc["seeds"]:
            epochs = learning_curve_epochs(lc, n)
            runs.append(_train(lc["architecture"], n, seed, epochs, epochs * percent // 100 if percent else None,
                               learning_curve_group(plan), lc.get("name_suffix", "")))
    a = plan.get("architecture")
    if a:
        for arch in a["candidates"]:
            runs.append(_train(arch, a["n_train"], 1, a["epochs"], a["stage_two_start_epoch"], "architecture",
                               a.get("name_suffix", "")))
    for e in plan.get("extra_training", []):
        extra = {} if e.get("pair_repulsion", True) else {"pair_repulsion": False}
        runs.append(_train(e["architecture"], e["n_train"], 1, e["epochs"], e["stage_two_start_epoch"], e["group"],
                           e.get("name_suffix", ""), **extra))
    seen, unique = set(), []
    for r in runs:
        if r["run_name"] not in seen:
            seen.add(r["run_name"])
            unique.append(r)
    return unique


def production_model_run(plan: dict) -> str:
    """The training run whose model is the production model (``data/model``): the from-scratch run of
    ``[production]``, or with ``fine_tuned = true`` the same architecture and budget fine-tuned from its pre-trained
    model (``[pretraining.production_budget]``, run name ``...-pt``)."""
    p = plan["production"]
    scratch = train_name(p["architecture"], p["n_train"], 1, p["epochs"])
    if not p.get("fine_tuned"):
        return scratch
    budget = (plan.get("pretraining") or {}).get("production_budget") or {}
    if p["architecture"] not in budget.get("architectures", []):
        raise PlanError(f"{plan.get('_path', 'plan')}: [production] fine_tuned = true needs "
                        f"[pretraining.production_budget] to fine-tune {p['architecture']!r}")
    return scratch + "-pt"


def run_model(run: dict, plan: dict) -> str:
    """The training run whose model makes a planned MD run (``md_runs`` entry): its set's ``model``, or the
    production model's run when the set names none."""
    return run.get("model") or production_model_run(plan)


def architecture_runs(plan: dict) -> list[str]:
    """The accuracy-speed candidates' run names, the reference first."""
    a = plan.get("architecture")
    if not a:
        return []
    return [train_name(arch, a["n_train"], 1, a["epochs"], a.get("name_suffix", "")) for arch in a["candidates"]]


def stability_runs(plan: dict) -> list[dict]:
    """Every stability screen run: a candidate model, plain or with the core repulsion, from equilibration 0."""
    out = []
    for s in plan.get("stability", []):
        core = s.get("core_repulsion_fraction", 0)
        for T in s["temperatures_K"]:
            for seed in s["seeds"]:
                for model in s["models"]:
                    name = (f"stab-{model}-T{_number(T)}-seed{seed}-{_number(s['production_ps'])}ps"
                            + (f"-core{_number(core)}" if core else ""))
                    out.append({"run_name": name, "model": model, "temperature_K": T, "seed": seed,
                                "production_ps": s["production_ps"], "core_repulsion_fraction": core})
    return out


def pretraining_runs(plan: dict, n_synthetic: int) -> list[dict]:
    """The pre-trained candidates: per architecture the pre-training run on the synthetic set of ``n_synthetic``
    configurations, the fine-tuning run on the DFT data with the architecture candidates' budget, its plain
    screens and its from-scratch counterpart (``scratch``); then, for the architectures of
    ``[pretraining.production_budget]``, the same pre-trained model fine-tuned with the production model's budget
    (``[production]``), whose from-scratch counterpart is the production model itself. ``candidate`` names each
    (the architecture, plus the epochs for a production-budget one); ``scratch_screens``: the plan's plain stability
    screens of the from-scratch counterpart."""
    pt, a = plan.get("pretraining"), plan.get("architecture")
    if not pt or not pt["architectures"]:
        return []
    where = plan.get("_path", "plan")
    if not a:
        raise PlanError(f"{where}: [pretraining] needs [architecture] (the fine-tuning budget)")
    out, pretrain_of = [], {}
    for arch in pt["architectures"]:
        own = pt.get("per_architecture", {}).get(arch, {})  # e.g. fewer epochs or screens for a slow architecture
        unknown = set(own) - {"epochs", "stage_two_start_epoch", "screen_temperatures_K"}
        if unknown:
            raise PlanError(f"{where}: [pretraining.per_architecture.{arch}]: unknown key {sorted(unknown)[0]!r}")
        epochs, stage_two = own.get("epochs", pt["epochs"]), own.get("stage_two_start_epoch", pt["stage_two_start_epoch"])
        pretrain_of[arch] = f"pretrain-{arch}-n{n_synthetic}-seed1-ep{epochs}"
        scratch = train_name(arch, a["n_train"], 1, a["epochs"], a.get("name_suffix", ""))
        out.append(_candidate(pt, arch, arch, pretrain_of[arch], epochs, stage_two, scratch, scratch + "-pt",
                              a["n_train"], a["epochs"], a["stage_two_start_epoch"],
                              own.get("screen_temperatures_K", pt["screen_temperatures_K"])))
    budget, prod = pt.get("production_budget"), plan["production"]
    if budget:
        unknown = set(budget) - {"rule", "architectures", "screen_temperatures_K"}
        if unknown:
            raise PlanError(f"{where}: [pretraining.production_budget]: unknown key {sorted(unknown)[0]!r}")
        for arch in budget["architectures"]:
            if arch not in pretrain_of:
                raise PlanError(f"{where}: [pretraining.production_budget]: {arch!r} is not among [pretraining] "
                                "architectures (it needs their pre-trained model)")
            scratch = train_name(arch, prod["n_train"], 1, prod["epochs"])
            first = next(r for r in out if r["architecture"] == arch)
            out.append(_candidate(pt, arch, f"{arch} ({prod['epochs']} epochs)", pretrain_of[arch],
                                  first["pretrain_epochs"], first["pretrain_stage_two_start_epoch"],
                                  scratch if arch == prod["architecture"] else None, scratch + "-pt",
                                  prod["n_train"], prod["epochs"], prod["stage_two_start_epoch"],
                                  budget.get("screen_temperatures_K", pt["screen_temperatures_K"])))
    return _with_scratch_screens(plan, out)


def _candidate(pt: dict, arch: str, label: str, pretrain: str, pretrain_epochs: int, pretrain_stage_two: int | None,
               scratch: str | None, finetune: str, n_train: int, epochs: int, stage_two: int | None,
               temperatures: list[float]) -> dict:
    screens = [screen_name(finetune, T, seed, pt["screen_ps"]) for T in temperatures for seed in pt["screen_seeds"]]
    return {"architecture": arch, "candidate": label, "pretrain": pretrain, "pretrain_epochs": pretrain_epochs,
            "pretrain_stage_two_start_epoch": pretrain_stage_two, "scratch": scratch, "finetune": finetune,
            "finetune_n_train": n_train, "finetune_epochs": epochs, "finetune_stage_two_start_epoch": stage_two,
            "screens": screens, "screen_temperatures_K": temperatures}


def _with_scratch_screens(plan: dict, candidates: list[dict]) -> list[dict]:
    """Each candidate with ``scratch_screens``: the plan's plain (no core repulsion) stability screens of its
    from-scratch twin, the runs its fine-tuned screens are compared with."""
    plain = [r for r in stability_runs(plan) if not r["core_repulsion_fraction"]]
    return [{**c, "scratch_screens": [r["run_name"] for r in plain if c["scratch"] and r["model"] == c["scratch"]]}
            for c in candidates]


def screen_name(finetune: str, temperature_K: float, seed: int, production_ps: float) -> str:
    """The plain stability screen of a fine-tuned model, e.g. ``screen-<run>-T600-seed1-20ps``."""
    return f"screen-{finetune}-T{_number(temperature_K)}-seed{seed}-{_number(production_ps)}ps"


def pretrained_learning_curve(plan: dict, n_synthetic: int) -> list[dict]:
    """The learning curve again, each run fine-tuned from the pre-trained model of the learning-curve architecture
    (``[pretraining] learning_curve_seeds``): same sizes, budget and stage two, names ending in ``-pt``. Its largest
    run of seed 1 is the fine-tuning run of that architecture (listed once)."""
    pt, lc = plan.get("pretraining"), plan["learning_curve"]
    if not pt or not pt.get("learning_curve_seeds"):
        return []
    pre = next((r for r in pretraining_runs(plan, n_synthetic) if r["architecture"] == lc["architecture"]), None)
    if pre is None:
        raise PlanError(f"{plan.get('_path', 'plan')}: [pretraining] learning_curve_seeds needs the learning-curve "
                        f"architecture {lc['architecture']!r} among its architectures")
    percent, out = lc.get("stage_two_percent", 0), []
    for n in lc["sizes"]:
        for seed in pt["learning_curve_seeds"]:
            epochs = learning_curve_epochs(lc, n)
            out.append({**_train(lc["architecture"], n, seed, epochs, epochs * percent // 100 if percent else None,
                                 learning_curve_group(plan) + "_pt", lc.get("name_suffix", "") + "-pt"),
                        "pretrain": pre["pretrain"]})
    return out


def selection(plan: dict) -> dict:
    """The rules that decide which runs enter the fit (``[selection]``)."""
    return dict(plan["selection"])


def convergence_rule(plan: dict) -> dict | None:
    """The convergence criterion (``[convergence]``, see ``analysis.convergence``); None when the plan has none."""
    rule = plan.get("convergence")
    return {**rule, "rule": " ".join(rule.get("rule", "").split())} if rule else None


# ---- the generated makefile ------------------------------------------------------------------------------------

def _param(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value)
    return str(value)  # a float as written in the plan (repr: 2.0, 0.05), an int as an int


def _params(**kwargs) -> str:
    return " ".join(f"-p {k} {_param(v)}" for k, v in kwargs.items())


def makefile(plan: dict, runs_dir: str, n_synthetic: int) -> str:
    """The makefile Make includes: settings' defaults (``?=``: the command line wins), run lists, per-run notebook
    parameters (``<run>.params``) and per-run prerequisites."""
    sel, proto = plan["selection"], plan["md_protocol"]
    verdicts = convergence_verdicts(Path(runs_dir).parent / "derived" / "diffusion.json")
    lines = [f"# generated by analysis/plan.py from {plan['_path']}: edit the plan, not this file", ""]
    defaults = {"MIN_DIST": sel["min_distance_A"], "PAIR_FRAC": sel["pair_min_fraction"],
                "COMMITTEE_LIMIT_FACTOR": sel["committee_limit_factor"], "MIN_INTACT_PS": sel["min_intact_ps"],
                "FIT_START_PS": sel["fit_start_ps"], "TIMESTEP_FS": proto["timestep_fs"],
                "EQUIL_PS": proto["equilibration_ps"], "PROD_PS": proto["production_ps"], "CHUNK_PS": proto["chunk_ps"],
                "CORE": proto["core_repulsion_fraction"], "COMMITTEE_EVERY_PS": proto["committee_every_ps"],
                "NVE_PS": plan.get("stability_nve", {}).get("duration_ps", 1.0),
                "ARCH_STEPS": plan.get("architecture", {}).get("md_steps", 40)}
    lines += [f"{k} ?= {_param(v)}" for k, v in defaults.items()]
    handin_run = plan.get("handin", {}).get("md_run")  # the MD run whose notebook 4 the hand-in shows
    if handin_run:
        if handin_run not in {r["run_name"] for r in md_runs(plan) if r["role"] != "pending"}:
            raise PlanError(f"{plan['_path']}: [handin] md_run {handin_run!r} is not an MD run of the plan "
                            "(pending runs are not made by make report)")
        lines.append(f"HANDIN_MD_RUN ?= {handin_run}")
    p = plan["production"]
    lines += ["", f"PROD_RUN_NAME := {train_name(p['architecture'], p['n_train'], 1, p['epochs'])}",
              f"MODEL_RUN_NAME := {production_model_run(plan)}",
              f"LC_GROUP := {learning_curve_group(plan)}"]

    md = [{**r, "production_ps": run_length_ps(r, Path(runs_dir), verdicts)} for r in md_runs(plan)]
    lines += ["", "MD_RUNS := " + " ".join(r["run_name"] for r in md if r["role"] != "pending"),
              "PENDING_MD_RUNS := " + " ".join(r["run_name"] for r in md if r["role"] == "pending"),
              "SUPERCELL_MD_RUNS := " + " ".join(r["run_name"] for r in md if r["supercell"] > 1)]
    for r in md:
        own = {k: v for k, v in (("model_path", r["model"] and f"{runs_dir}/{r['model']}/mace_stagetwo.model"),
                                 ("core_repulsion_fraction", r["core_repulsion_fraction"]),
                                 ("supercell", r["supercell"] if r["supercell"] > 1 else None)) if v is not None}
        lines.append(f"{r['run_name']}.params := " + _params(temperature_K=r["temperature_K"], seed=r["seed"],
                                                             production_ps=r["production_ps"], **own))
        if r["model"]:
            lines.append(f"{runs_dir}/{r['run_name']}/summary.json: | {runs_dir}/{r['model']}/evaluation.json")
        if _shorter_than_planned(Path(runs_dir) / r["run_name"], r["production_ps"]):
            lines.append(f"{runs_dir}/{r['run_name']}/summary.json: FORCE")  # extended from its checkpoint

    train = training_runs(plan)
    lines += ["", "TRAIN_RUNS := " + " ".join(r["run_name"] for r in train)]
    for r in train:
        extra = {k: r[k] for k in ("figure_prefix", "pair_repulsion") if k in r}
        lines.append(f"{r['run_name']}.params := " + _params(
            architecture=r["architecture"], n_train=r["n_train"], seed=r["seed"], max_epochs=r["max_epochs"],
            stage_two_start_epoch=r["stage_two_start_epoch"], group=r["group"], **extra))
    lines += ["LC_RUNS := " + " ".join(r["run_name"] for r in train if r["group"] == learning_curve_group(plan)),
              "ARCH_RUNS := " + " ".join(architecture_runs(plan))]

    stab = stability_runs(plan)
    lines += ["", "STAB_RUNS := " + " ".join(r["run_name"] for r in stab)]
    for r in stab:
        lines.append(f"{r['run_name']}.params := " + _params(
            model_path=f"{runs_dir}/{r['model']}/mace_stagetwo.model", temperature_K=r["temperature_K"],
            seed=r["seed"], production_ps=r["production_ps"], core_repulsion_fraction=r["core_repulsion_fraction"]))
        lines.append(f"{runs_dir}/{r['run_name']}/summary.json: | {runs_dir}/{r['model']}/evaluation.json")

    pts = pretraining_runs(plan, n_synthetic)
    pretrains = list(dict.fromkeys(r["pretrain"] for r in pts))
    lines += ["", "PT_ARCHS := " + " ".join(dict.fromkeys(r["architecture"] for r in pts)),
              "PT_RUNS := " + " ".join(pretrains),
              "FT_RUNS := " + " ".join(r["finetune"] for r in pts),
              "SCREEN_RUNS := " + " ".join(s for r in pts for s in r["screens"])]
    for name in pretrains:
        r = next(r for r in pts if r["pretrain"] == name)
        lines.append(f"{name}.params := " + _params(
            architecture=r["architecture"], seed=1, max_epochs=r["pretrain_epochs"],
            stage_two_start_epoch=r["pretrain_stage_two_start_epoch"], group="pretrain"))
    for r in pts:
        model = f"{runs_dir}/{r['pretrain']}/mace_stagetwo.model"
        lines.append(f"{r['finetune']}.params := " + _params(
            architecture=r["architecture"], n_train=r["finetune_n_train"], seed=1,
            max_epochs=r["finetune_epochs"], stage_two_start_epoch=r["finetune_stage_two_start_epoch"],
            group="finetuned", foundation_model=model,
            **({"figure_prefix": "production"} if r["finetune"] == production_model_run(plan) else {})))
        lines.append(f"{runs_dir}/{r['finetune']}/evaluation.json: | {runs_dir}/{r['pretrain']}/evaluation.json")
        ps = plan["pretraining"]["screen_ps"]
        for T in r["screen_temperatures_K"]:
            for seed in plan["pretraining"]["screen_seeds"]:
                name = screen_name(r["finetune"], T, seed, ps)
                lines.append(f"{name}.params := " + _params(
                    model_path=f"{runs_dir}/{r['finetune']}/mace_stagetwo.model", temperature_K=T, seed=seed,
                    production_ps=ps, core_repulsion_fraction=0))
                lines.append(f"{runs_dir}/{name}/summary.json: | {runs_dir}/{r['finetune']}/evaluation.json")
    finetunes = {r["finetune"] for r in pts}
    pt_lc = pretrained_learning_curve(plan, n_synthetic)
    lines += ["", "PT_LC_RUNS := " + " ".join(r["run_name"] for r in pt_lc)]
    for r in pt_lc:
        if r["run_name"] in finetunes:
            continue  # the fine-tuning run above
        lines.append(f"{r['run_name']}.params := " + _params(
            architecture=r["architecture"], n_train=r["n_train"], seed=r["seed"], max_epochs=r["max_epochs"],
            stage_two_start_epoch=r["stage_two_start_epoch"], group=r["group"],
            foundation_model=f"{runs_dir}/{r['pretrain']}/mace_stagetwo.model"))
        lines.append(f"{runs_dir}/{r['run_name']}/evaluation.json: | {runs_dir}/{r['pretrain']}/evaluation.json")
    return "\n".join(lines) + "\n"


def convergence_verdicts(diffusion_json: Path) -> dict[str, dict]:
    """Per run: its length and convergence verdict as notebook 6 last judged them (``diffusion.json``: the fit's
    runs, those the rule left out of it, the pending series' and the previous series'; empty before notebook 6 has
    seen one). Only a pending run's verdict extends it (``run_length_ps``)."""
    if not diffusion_json.exists():
        return {}
    d = json.loads(diffusion_json.read_text())
    parts = (d, d.get("left_out"), d.get("pending"), d.get("previous"))
    judged = [r for part in parts for r in (part or {}).get("per_run", []) if "converged" in r]
    return {r["run_name"]: {"production_ps": r["production_ps"], "converged": r["converged"]} for r in judged}


def run_length_ps(run: dict, runs_dir: Path, verdicts: dict[str, dict]) -> float:
    """The production length Make asks of a planned MD run (``md_runs`` entry). A run of a set with ``cap_ps`` is
    made at the set's ``production_ps`` first; while its set is pending, a finished run that notebook 6 judged at
    its present length as not converged (``convergence_verdicts``) is doubled, at most to ``cap_ps``; otherwise (converged,
    at the cap, not judged yet, or the set no longer pending) it keeps the length it has. A doubling that was
    interrupted (settings.json asks for more than the piece before, whose summary was set aside) is finished first."""
    if run.get("cap_ps") is None:
        return run["production_ps"]
    summary = runs_dir / run["run_name"] / "summary.json"
    if not summary.exists():
        started = runs_dir / run["run_name"] / "settings.json"
        if started.exists():  # an unfinished run or an unfinished extension: continue at the length it was started with
            return max(json.loads(started.read_text())["settings"]["production_ps"], run["production_ps"])
        return run["production_ps"]
    record = json.loads(summary.read_text())
    made_ps = record["settings"]["production_ps"]
    verdict = verdicts.get(run["run_name"])
    if (run["role"] == "pending" and record.get("status") == "done" and verdict is not None
            and verdict["converged"] is False and abs(verdict["production_ps"] - made_ps) < 1e-6):
        return min(2 * made_ps, run["cap_ps"])
    return max(made_ps, run["production_ps"])


def progress(run: dict, runs_dir: Path, verdicts: dict[str, dict]) -> dict:
    """Where a planned MD run (``md_runs`` entry) stands: ``asked_ps`` (the production Make asks of it now,
    ``run_length_ps``), ``made_ps`` (production made: a finished piece's summary, else the latest checkpoint; None
    before it started), ``state`` and ``verdict`` (notebook 6's last convergence verdict of the run, pending, fitted,
    left out or previous:
    ``"converged at 640 ps"``, ``"not converged at 640 ps"`` or ""). The states: ``done`` (made what is asked),
    ``to extend`` (a finished piece shorter than what is asked now: Make extends it from its checkpoint),
    ``unfinished`` (started, its piece not finished yet), ``stopped`` (the stability monitors stopped it) and
    ``not started``."""
    folder = Path(runs_dir) / run["run_name"]
    asked_ps = run_length_ps(run, Path(runs_dir), verdicts)
    summary = folder / "summary.json"
    record = json.loads(summary.read_text()) if summary.exists() else None
    if record is not None:
        made_ps = record["production_ps"]
        state = ("stopped" if record.get("status") == "unstable"
                 else "done" if made_ps >= asked_ps - 1e-9 else "to extend")
    elif (folder / "settings.json").exists():
        settings = json.loads((folder / "settings.json").read_text())["settings"]
        checkpoint = folder / "checkpoint.json"
        step = json.loads(checkpoint.read_text())["step"] if checkpoint.exists() else 0
        made_ps = max(step * settings["timestep_fs"] / 1000.0 - settings["equilibration_ps"], 0.0)
        state = "unfinished"
    else:
        made_ps, state = None, "not started"
    verdict = verdicts.get(run["run_name"])
    text = "" if verdict is None or verdict["converged"] is None else (
        f"{'' if verdict['converged'] else 'not '}converged at {verdict['production_ps']:g} ps")
    return {"asked_ps": asked_ps, "made_ps": made_ps, "state": state, "verdict": text}


def show(plan: dict, study_dir: Path | None = None) -> list[str]:
    """``make plan``'s lines: every MD run with its role, the production asked of it and its set; with the study
    folder also what each run has made and its last convergence verdict, and the MD runs outside the plan."""
    planned = md_runs(plan)
    if study_dir is None:
        lines = [f"{r['run_name']:<20} {r['role']:<7} {r['production_ps']:>6g} ps  {r['set']}" for r in planned]
    else:
        runs_dir = Path(study_dir) / "runs"
        verdicts = convergence_verdicts(Path(study_dir) / "derived" / "diffusion.json")
        lines = [f"{'run':<20} {'role':<7} {'asked':>9} {'made':>9}  {'state':<11} {'last verdict':<24} set"]
        for r in planned:
            p = progress(r, runs_dir, verdicts)
            made = "-" if p["made_ps"] is None else f"{p['made_ps']:g} ps"
            lines.append(f"{r['run_name']:<20} {r['role']:<7} {p['asked_ps']:>6g} ps {made:>9}  {p['state']:<11} "
                         f"{p['verdict'] or '-':<24} {r['set']}")
    lines.append(f"selection: {json.dumps(selection(plan))}")
    if study_dir is not None:  # MD runs on disk that the plan does not declare: never in the fit
        names = {r["run_name"] for r in planned}
        outside = sorted(p.name for p in (Path(study_dir) / "runs").glob("md-*") if p.name not in names)
        lines.append(f"{OUTSIDE} (never in the fit): {', '.join(outside) or 'none'}")
    return lines


def _shorter_than_planned(run: Path, production_ps: float) -> bool:
    """True when ``run`` finished (status done) with a shorter production than the plan now asks for: Make then
    extends it from its checkpoint (``analysis.md.run_md``). A stopped (unstable) run is never extended."""
    summary = run / "summary.json"
    if not summary.exists():
        return False
    record = json.loads(summary.read_text())
    return record.get("status") == "done" and record["settings"]["production_ps"] < production_ps - 1e-9


def synthetic_size(study_dir: Path) -> int:
    """Configurations in the synthetic set's recipe (0 before the recipe exists)."""
    recipe = Path(study_dir) / "derived" / "synthetic" / "recipe.json"
    return len(json.loads(recipe.read_text())["entries"]) if recipe.exists() else 0


def main(argv: list[str]) -> int:
    """``make PLAN STUDY_DIR OUT``: write the generated makefile (only if it changed);
    ``show PLAN [STUDY_DIR]``: print every MD run with its set and role (with STUDY_DIR also where each stands and
    the MD runs outside the plan: ``show``)."""
    try:
        if argv[:1] == ["make"] and len(argv) == 4:
            plan_file, study, out = argv[1:]
            text = makefile(load(plan_file), f"{study}/runs", synthetic_size(Path(study)))
            out = Path(out)
            if not out.exists() or out.read_text() != text:
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = temporary_path(out)
                tmp.write_text(text)
                tmp.replace(out)
            return 0
        if argv[:1] == ["show"] and len(argv) in (2, 3):
            print("\n".join(show(load(argv[1]), Path(argv[2]) if len(argv) == 3 else None)))
            return 0
    except PlanError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print("usage: python -m analysis.plan make PLAN STUDY_DIR OUT | show PLAN [STUDY_DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
