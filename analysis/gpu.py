"""The study's CUDA path, checked on a GPU machine, and plan runs continued there.

Some sessions are lent a GPU machine for a few minutes: a bare image with PyTorch, nothing to download. Prepared here
with ``make gpu-prepare [GPU_RUNS="md-T500-seed1-pt-sc2 ..."]`` (= ``python -m analysis.gpu prepare RUN...``):
the pinned wheels of mace-torch and what it needs beyond PyTorch (``.whl/``), the models' CPU forces on the test set
and the runs' notebook-4 parameters (``.device/``) and the script the lease runs, ``.device/run.sh [SECONDS [nocheck]]``:

    python -m analysis.gpu check .device/reference.npz OUT   # versions, forces GPU vs CPU, a tiny training on the
                                                             #   GPU, MD steps/s for 83 and 664 atoms (~2.5 min)
    python -m analysis.gpu series .device/jobs.json END OUT  # the runs side by side until the epoch second END,
                                                             #   then their committed files packed into OUT

(the device call carries ``.whl``, ``.device`` and ``data/derived/split``). The call sends the checkout's tracked
files, at most 64 MiB, and ``data/runs`` alone holds about 200 MB: ``python -m analysis.gpu slim`` takes
``data/runs`` out of git's index (files untouched) except the jobs' models and runs, ``python -m analysis.gpu
restore`` puts the index back; commit nothing in between. A run continues from its committed
checkpoint on any machine (``analysis.md``) and records how many steps each device made (``steps_by_device``);
back here ``python -m analysis.gpu unpack OUT/series.tar.gz`` puts the runs' files in place and ``make series``
continues them. Measured on an H200 (``derived/measurements/gpu_h200.json``): one 83-atom run makes ~20 steps/s,
eight side by side ~11 each, a 664-atom run ~17: a GPU pays for the finite-size runs (about 15 times a CPU core),
and a run is kept only from its first 5-ps checkpoint (2500 steps) on.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

from analysis import data, paths, runs

MD_NOTEBOOK = paths.ROOT / "study" / "04_md.py"
# the notebook's parameters that are not MDSettings (nor settings_from_parameters's own)
RUN_PARAMETERS = ("model_path", "run_name", "compile_mode")
# what a run keeps in git (analysis.md): all a later piece, on any machine, continues from
RUN_FILES = re.compile(r"^(settings\.json|checkpoint\.json|checkpoint-\d+\.npz|thermo\.csv|"
                       r"positions\.npz|positions-from-\d+\.npz|summary(-production[\d.]+ps)?\.json)$")


def notebook_defaults(notebook: Path = MD_NOTEBOOK) -> dict:
    """The parameters cell of a jupytext notebook (``# %% tags=["parameters"]``) as a dict of literals."""
    text = Path(notebook).read_text()
    cell = text.split('# %% tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    values = {}
    for node in ast.parse(cell).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def make_parameters(run_name: str) -> dict:
    """The ``-p NAME VALUE`` pairs that ``make`` hands notebook 4 for the plan run ``run_name`` (from ``make -n -B``).

    ``-B`` (``--always-make``) so that a run which is finished, or whose piece is running, still shows its command:
    the parameters are the plan's whatever state the run is in."""
    target = f"{paths.relative(paths.run_dir(run_name))}/summary.json"
    result = subprocess.run(["make", "-n", "-s", "-B", f"STUDY={paths.relative(paths.study_dir())}", target],
                            cwd=paths.ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if "study/04_md.py" in line and f"run_name {run_name}" in line]
    if not lines:
        raise ValueError(f"{run_name}: not a run of the plan (make -n -B {target} runs no notebook 4)"
                         f"{': ' + result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ''}")
    words = shlex.split(lines[-1])
    values = {}
    for k, word in enumerate(words[:-2]):
        if word == "-p":
            name, raw = words[k + 1], words[k + 2]
            try:
                values[name] = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                values[name] = raw
    return values


def job(run_name: str) -> dict:
    """Notebook 4's parameters for ``run_name`` as ``make`` would run it, types as in the notebook."""
    defaults = notebook_defaults()
    values = {**defaults, **make_parameters(run_name)}
    for name, default in defaults.items():  # papermill casts like this: 20 -> 20.0 where the notebook has a float
        if isinstance(default, float) and isinstance(values[name], int):
            values[name] = float(values[name])
    return values


def run_piece(parameters: dict) -> dict:
    """Continue one run with notebook 4's parameters (no figures: the notebook makes them when make finishes it)."""
    from analysis import md

    p = dict(parameters)
    model_path, run_name, compile_mode = (p.pop(k) for k in RUN_PARAMETERS)
    settings = md.settings_from_parameters(**p)
    model = Path(model_path) if model_path else paths.production_model()
    return md.run_md(settings, paths.ROOT / model, paths.run_dir(run_name or settings.run_name()),
                     compile_mode=None if compile_mode == "none" else compile_mode)


# --------------------------------------------------------------------------- prepared here
DEVICE_DIR = paths.ROOT / ".device"
WHEEL_DIR = paths.ROOT / ".whl"
# what mace-torch needs beyond the GPU image's PyTorch, numpy, scipy, matplotlib, pandas, h5py, torchmetrics, pyyaml,
# tqdm, opt-einsum (versions from requirements.lock)
WHEELS = ("mace-torch", "e3nn", "ase", "matscipy", "torch-ema", "prettytable", "wcwidth", "ConfigArgParse",
          "GitPython", "gitdb", "smmap", "lmdb", "orjson", "opt-einsum-fx", "python-hostlist")
GPU_PYTHON = "3.12"  # the image's python3
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64")
RUN_SCRIPT = """#!/bin/bash
# made by python -m analysis.gpu prepare: the GPU lease's one call, run in the project root there as
#   bash .device/run.sh SECONDS [nocheck]   (carry .whl .device data/derived/split; SECONDS: until the runs stop;
#                                            nocheck: straight to the runs, the CUDA path checked on an earlier lease)
END=$(( $(date +%s) + ${1:-420} ))
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
nvidia-smi -L
python3 -c "import torch, e3nn, mace, ase; print('torch', torch.__version__, 'e3nn', e3nn.__version__, 'cuda', torch.cuda.is_available())" || exit 1
if [ "$2" != nocheck ]; then
  timeout 240 python3 -m analysis.gpu check .device/reference.npz $OUT > $OUT/check.log 2>&1; echo "check: exit $?"
  grep -E "^(forces|tiny|MD)" $OUT/check.log
fi
python3 -m analysis.gpu series .device/jobs.json $END $OUT > $OUT/series.log 2>&1; echo "series: exit $?"
grep -v "Using\\|CUDA\\|cuequi" $OUT/series.log | tail -n 20
"""


def prepare(run_names: list[str]) -> None:
    """Everything a GPU lease needs from here: wheels, reference forces (kept while the models are the same), the
    runs' jobs and ``.device/run.sh``."""
    DEVICE_DIR.mkdir(exist_ok=True)
    download_wheels()
    reference_file = DEVICE_DIR / "reference.npz"
    stamp = DEVICE_DIR / "reference.models.json"
    from analysis.model import file_sha256

    models = {label: file_sha256(path) for label, path in model_files().items()}
    if not reference_file.exists() or not stamp.exists() or json.loads(stamp.read_text()) != models:
        print("reference forces on this CPU (a few minutes)", flush=True)
        reference(reference_file)
        stamp.write_text(json.dumps(models))
    (DEVICE_DIR / "jobs.json").write_text(json.dumps({name: job(name) for name in run_names}, indent=1))
    script = DEVICE_DIR / "run.sh"
    script.write_text(RUN_SCRIPT)
    script.chmod(0o755)
    print(f"{paths.relative(DEVICE_DIR)}: {len(run_names)} runs; on the lease: bash .device/run.sh SECONDS "
          f"(carry .whl .device data/derived/split)")


def slim() -> list[str]:
    """Make the checkout's tracked files small enough to travel: ``data/runs`` out of the index (the files stay),
    ignored locally except the folders the jobs need (their runs and models). ``restore`` undoes it."""
    jobs = json.loads((DEVICE_DIR / "jobs.json").read_text())
    needed = sorted({paths.relative(paths.run_dir(n)) for n in jobs} |
                    {str(Path(j["model_path"]).parent) for j in jobs.values() if j["model_path"].startswith("data/runs/")})
    exclude = Path(_git("rev-parse", "--git-path", "info/exclude"))
    backup = DEVICE_DIR / "exclude.bak"
    if backup.exists():
        raise RuntimeError(f"{backup}: already slim (python -m analysis.gpu restore first)")
    backup.write_text(exclude.read_text() if exclude.exists() else "")
    _git("rm", "-r", "-q", "--cached", "data/runs")
    exclude.parent.mkdir(parents=True, exist_ok=True)
    exclude.write_text(backup.read_text() + "/data/runs/*\n" + "".join(f"!/{d}/\n" for d in needed))
    return needed


def restore() -> None:
    """Undo ``slim``: the index of ``data/runs`` as committed, the exclude file as it was."""
    backup = DEVICE_DIR / "exclude.bak"
    if not backup.exists():
        raise RuntimeError(f"{backup}: nothing to restore (not slim)")
    Path(_git("rev-parse", "--git-path", "info/exclude")).write_text(backup.read_text())
    _git("reset", "-q", "--", "data/runs")
    backup.unlink()


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return str(paths.ROOT / result.stdout.strip()) if args[:2] == ("rev-parse", "--git-path") else result.stdout


def locked_versions(lock: Path = paths.ROOT / "requirements.lock") -> dict[str, str]:
    """``name==version`` lines of the lock file, by lower-case name with '_' as '-'."""
    pins = {}
    for line in Path(lock).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split(";")[0].strip().split("==")
            pins[name.lower().replace("_", "-")] = version.strip()
    return pins


def download_wheels() -> None:
    """The pinned wheels for the GPU image's Python into ``.whl/`` (pure-Python sdists built into wheels here)."""
    pins = locked_versions()
    WHEEL_DIR.mkdir(exist_ok=True)
    for name in WHEELS:
        version = pins.get(name.lower().replace("_", "-"))
        if version is None:
            raise ValueError(f"requirements.lock: no pinned version of {name}")
        stem = name.lower().replace("-", "_")
        if any(w.name.lower().startswith(f"{stem}-{version}-") for w in WHEEL_DIR.glob("*.whl")):
            continue
        base = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(WHEEL_DIR), f"{name}=={version}"]
        binary = ["--only-binary=:all:", "--python-version", GPU_PYTHON, "--implementation", "cp",
                  *[a for p in PLATFORMS for a in ("--platform", p)]]
        if subprocess.run(base + binary, capture_output=True, text=True).returncode == 0:
            continue
        subprocess.run(base + ["--no-binary=:all:"], check=True, capture_output=True, text=True)  # an sdist
        for sdist in WHEEL_DIR.glob(f"*{version}.tar.gz"):
            subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(WHEEL_DIR), str(sdist)],
                           check=True, capture_output=True, text=True)
            sdist.unlink()


def reference(out: Path) -> dict:
    """Forces (eV/Å) and energies (eV) of the production model and of the plan's pending-series model on the test
    configurations, float64 and float32, on this machine's CPU: what ``check`` compares the GPU's with."""
    from analysis import evaluation

    frames = data.read_extxyz(paths.test_xyz())
    arrays = {}
    for label, model in model_files().items():
        for dtype in ("float64", "float32"):
            pred = evaluation.predict(model, frames, dtype)
            arrays[f"{label}_{dtype}_forces"] = pred["forces_model_eV_A"]
            arrays[f"{label}_{dtype}_energy"] = pred["energy_model_eV"]
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)
    return {k: v.shape for k, v in arrays.items()}


def model_files() -> dict[str, Path]:
    """The production model and the model of the plan's pending series (the adopted fine-tune)."""
    from analysis import plan

    pending = [plan.md_model_path(r, paths.runs_dir(), paths.production_model())
               for r in plan.md_runs(plan.load(paths.ROOT / "study" / "plan.toml")) if r["role"] == "pending"]
    return {"production": paths.production_model(), **({"pending": pending[0]} if pending else {})}


# --------------------------------------------------------------------------- run there
def check(reference_file: Path, out: Path) -> dict:
    """On the GPU: versions, forces against the CPU's, a tiny training and MD speed. Written to OUT/check.json."""
    import torch

    from analysis import bench, evaluation, model, training

    result: dict = {"device": model.device_label(), "cuda": torch.version.cuda,
                    **{k: v for k, v in runs.provenance().items() if k in ("created", "versions", "host_cpus")}}
    out.mkdir(parents=True, exist_ok=True)

    def save():
        (out / "check.json").write_text(json.dumps(result, indent=1, default=str))

    frames = data.read_extxyz(paths.test_xyz())
    ref = np.load(reference_file)
    dft_forces = np.array([f.arrays[data.FORCES_KEY] for f in frames])
    result["forces"] = {}
    for label, path in model_files().items():
        for dtype in ("float64", "float32"):
            t0 = time.perf_counter()
            pred = evaluation.predict(path, frames, dtype)
            seconds = time.perf_counter() - t0
            forces = pred["forces_model_eV_A"]
            cpu = ref[f"{label}_{dtype}_forces"]
            result["forces"][f"{label} {dtype}"] = {
                "max_abs_diff_vs_cpu_eV_A": float(np.abs(forces - cpu).max()),
                "rms_diff_vs_cpu_eV_A": float(np.sqrt(np.mean((forces - cpu) ** 2))),
                "max_energy_diff_vs_cpu_eV": float(np.abs(pred["energy_model_eV"] - ref[f"{label}_{dtype}_energy"]).max()),
                "force_rmse_vs_dft_meV_A": float(np.sqrt(np.mean((forces - dft_forces) ** 2)) * 1000),
                "cpu_force_rmse_vs_dft_meV_A": float(np.sqrt(np.mean((cpu - dft_forces) ** 2)) * 1000),
                "seconds_for_40": seconds,
            }
            print(f"forces {label} {dtype}: max |GPU-CPU| {result['forces'][f'{label} {dtype}']['max_abs_diff_vs_cpu_eV_A']:.2e} eV/Å",
                  flush=True)
    save()

    settings = training.TrainSettings(architecture="tiny", n_train=10, seed=1, max_epochs=2, stage_two_start_epoch=None)
    t0 = time.perf_counter()
    run = training.train(settings, Path("/tmp/gpu-tiny-train"))
    tiny = training.final_model_path(run, settings)
    metrics = evaluation.evaluate(tiny, frames)[1]
    result["tiny_training"] = {"settings": "architecture tiny, 10 configurations, 2 epochs, seed 1",
                               "wall_s": time.perf_counter() - t0, "test_metrics": metrics}
    print(f"tiny training on the GPU: {result['tiny_training']['wall_s']:.1f} s", flush=True)
    save()

    atoms = frames[0]
    result["md"] = []
    for label, path in model_files().items():
        for dtype, rep in (("float32", 1), ("float64", 1), ("float32", 2)):
            system = atoms if rep == 1 else atoms.repeat((rep, rep, rep))
            rate = bench.md_steps_per_s(path, system, dtype, threads=1, steps=100, repeats=3)
            result["md"].append({"model": label, "dtype": dtype, "n_atoms": len(system), **rate,
                                 "ns_per_day_2fs": bench.ns_per_day(rate["steps_per_s"])})
            print(f"MD {label} {dtype} {len(system)} atoms: {rate['steps_per_s']:.1f} steps/s", flush=True)
            save()
    return result


def series(jobs_file: Path, end_epoch_s: float, out: Path) -> list[dict]:
    """Continue each job's run in its own process (one CPU thread each, the model on the GPU) until ``end_epoch_s``,
    stop the rest there (a run keeps its last 5-ps checkpoint), and pack the runs' committed files into
    OUT/series.tar.gz with a log per run."""
    jobs = json.loads(Path(jobs_file).read_text())
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = {}
    for name, parameters in jobs.items():
        # eager: torch.compile's compilation (tens of seconds per process) does not pay in a lease of minutes
        parameters = {**parameters, "compile_mode": "none"}
        log_file = open(paths.run_dir(name).parent / f"{name}.gpu.log", "w")  # noqa: SIM115 - closed below
        started[name] = (subprocess.Popen([sys.executable, "-m", "analysis.gpu", "piece", json.dumps(parameters)],
                                          cwd=paths.ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                          start_new_session=True), log_file)
    while time.time() < end_epoch_s and any(p.poll() is None for p, _ in started.values()):
        time.sleep(5)
    rows = []
    for name, (process, log_file) in started.items():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # safe at any moment: the checkpoint pair is written atomically
            process.wait()
        log_file.close()
        run = paths.run_dir(name)
        state = runs.read_json(run / "checkpoint.json") if (run / "checkpoint.json").exists() else {}
        rows.append({"run": name, "exit": process.returncode, "step": state.get("step"),
                     "steps_by_device": state.get("steps_by_device"), "finished": (run / "summary.json").exists()})
    with tarfile.open(out / "series.tar.gz", "w:gz") as tar:
        for name in jobs:
            run = paths.run_dir(name)
            for f in sorted(run.iterdir()) if run.exists() else []:
                if RUN_FILES.match(f.name):
                    tar.add(f, arcname=f"{name}/{f.name}")
            log = run.parent / f"{name}.gpu.log"
            tar.add(log, arcname=f"{name}/gpu.log")
    (out / "series.json").write_text(json.dumps(rows, indent=1))
    return rows


def unpack(archive: Path) -> list[str]:
    """Put the runs of a ``series`` archive in place here: only runs that did not move on here meanwhile (their
    checkpoint here is at most the archive's starting point) and only the files a run keeps in git."""
    placed = []
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        for name in sorted({m.name.split("/")[0] for m in members}):
            files = {m.name.split("/", 1)[1]: m for m in members if m.name.startswith(name + "/")}
            if "checkpoint.json" not in files:
                continue
            theirs = json.load(tar.extractfile(files["checkpoint.json"]))
            run = paths.run_dir(name)
            ours = runs.read_json(run / "checkpoint.json") if (run / "checkpoint.json").exists() else {"step": 0}
            if ours["step"] >= theirs["step"]:
                print(f"{name}: kept (here at step {ours['step']}, the archive at {theirs['step']})")
                continue
            run.mkdir(parents=True, exist_ok=True)
            for old in run.iterdir():  # a file the run no longer has there (a summary set aside) goes here too
                if old.is_file() and RUN_FILES.match(old.name) and old.name not in files:
                    old.unlink()
            for fname, member in files.items():
                if RUN_FILES.match(fname):
                    (run / fname).write_bytes(tar.extractfile(member).read())
            for chunk in (run / "chunks").glob("*") if (run / "chunks").exists() else []:
                chunk.unlink()  # this machine's chunks end where the run stood here: its positions files are the record
            placed.append(name)
            print(f"{name}: now at step {theirs['step']} ({theirs.get('steps_by_device')})")
    return placed


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        if argv[:1] == ["prepare"] and len(argv) >= 2:
            prepare(argv[1:])
        elif argv == ["slim"]:
            print("tracked in data/runs while slim:", *slim(), sep="\n  ")
        elif argv == ["restore"]:
            restore()
        elif argv[:1] == ["reference"] and len(argv) == 2:
            print(reference(Path(argv[1])))
        elif argv[:1] == ["jobs"] and len(argv) >= 3:
            Path(argv[1]).parent.mkdir(parents=True, exist_ok=True)
            Path(argv[1]).write_text(json.dumps({name: job(name) for name in argv[2:]}, indent=1))
        elif argv[:1] == ["check"] and len(argv) == 3:
            check(Path(argv[1]), Path(argv[2]))
        elif argv[:1] == ["series"] and len(argv) == 4:
            for row in series(Path(argv[1]), float(argv[2]), Path(argv[3])):
                print(row)
        elif argv[:1] == ["piece"] and len(argv) == 2:
            summary = run_piece(json.loads(argv[1]))
            print(json.dumps({k: summary.get(k) for k in ("status", "production_ps", "steps_per_s", "steps_by_device")}))
        elif argv[:1] == ["unpack"] and len(argv) == 2:
            unpack(Path(argv[1]))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
