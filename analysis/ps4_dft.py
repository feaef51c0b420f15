"""Is the PS4 breaking physical? DFT on MD frames with a broken PS4 unit and on intact frames of the same runs.

The production model breaks PS4 units from 500 K on (``structure``: a P with fewer than four S within 3 Å, never
in the DFT data). Whether DFT agrees is a question of energies: if PBE puts the broken frames much higher than the
model does, the model has an artefact that opens a path DFT would not take. For each run of the plan's
``[ps4_dft]`` section, ``frames_per_kind`` broken and as many intact frames are taken evenly spaced from its
``positions.npz`` (no random choice), and each is computed with GPAW PBE (``analysis.dft``), the production model
and the teacher. Frames of one run share its temperature, so thermal energy cancels on average in

    Δ = mean E(broken) − mean E(intact)   (eV per cell, per run)

and the codes' constant offsets (GPAW against VASP, the teacher's −57 meV/atom) cancel exactly. The model's
error on Δ is the difference of its per-frame residuals E_model − E_DFT between the two kinds, which does not
carry the frames' thermal scatter.

    python -m analysis.ps4_dft select PLAN        # frames -> ps4_dft/frames.extxyz (git-ignored, remade)
    python -m analysis.ps4_dft label PLAN         # GPAW, one JSON per frame (committed), resumable, progress lines
    .venv-teacher/bin/python -m analysis.teacher label-file ps4_dft/frames.extxyz ps4_dft/teacher.npz
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from analysis import data, paths, plan as study_plan, run_files, runs, structure
from analysis.model import file_sha256


def folder() -> Path:
    return paths.derived_dir() / "ps4_dft"


def settings(plan: dict) -> dict | None:
    """The plan's ``[ps4_dft]`` section (runs, frames_per_kind, mode), or None."""
    return plan.get("ps4_dft")


def choose(broken_count: np.ndarray, n: int) -> dict[str, list[int]]:
    """``n`` frame indices of each kind, evenly spaced over the frames of that kind (all of them if fewer)."""
    out = {}
    for kind, candidates in (("broken", np.flatnonzero(broken_count > 0)), ("intact", np.flatnonzero(broken_count == 0))):
        picks = candidates[np.unique(np.linspace(0, len(candidates) - 1, min(n, len(candidates))).round().astype(int))] \
            if len(candidates) else []
        out[kind] = [int(k) for k in picks]
    return out


def frame_id(run_name: str, index: int) -> str:
    return f"{run_name}-f{index:04d}"


def fingerprint(atoms) -> str:
    """sha256 of a frame's positions (float64, Å): a per-frame result belongs to exactly these positions."""
    return hashlib.sha256(np.ascontiguousarray(atoms.positions, dtype=np.float64).tobytes()).hexdigest()[:16]


def select(plan: dict, runs_root: Path | None = None) -> list:
    """The frames of every ``[ps4_dft]`` run, each with ``info``: run, frame, kind, n_broken_P, time_ps, fingerprint."""
    s = settings(plan)
    if not s:
        return []
    runs_root = Path(runs_root or paths.runs_dir())
    frames_out = []
    for name in s["runs"]:
        frames, interval_fs = run_files.read_positions(runs_root / name)
        counts = structure.undercoordinated(frames)
        for kind, indices in choose(counts, s["frames_per_kind"]).items():
            if len(indices) < s["frames_per_kind"]:
                raise ValueError(f"{runs_root / name}: only {len(indices)} {kind} frames, [ps4_dft] asks for "
                                 f"{s['frames_per_kind']}")
            for k in indices:
                atoms = frames[k].copy()
                atoms.info.update(run=name, frame=k, kind=kind, n_broken_P=int(counts[k]),
                                  time_ps=k * interval_fs / 1000.0, fingerprint=fingerprint(atoms))
                frames_out.append(atoms)
    return frames_out


def label(frames: list, mode: str, out_dir: Path | None = None) -> list[Path]:
    """GPAW on every frame not yet computed: ``<frame id>.json`` each, written as soon as it is done."""
    from analysis import dft

    out_dir = Path(out_dir or folder() / "dft")
    out_dir.mkdir(parents=True, exist_ok=True)
    done, start, computed = [], time.time(), 0
    todo = [a for a in frames if not (out_dir / f"{frame_id(a.info['run'], a.info['frame'])}.json").exists()]
    frames = interleaved(frames)  # an interrupted labelling leaves as many frames of each kind and run as it can
    print(f"ps4_dft: {len(frames) - len(todo)} of {len(frames)} frames already computed, {len(todo)} to go", flush=True)
    for atoms in frames:
        path = out_dir / f"{frame_id(atoms.info['run'], atoms.info['frame'])}.json"
        if path.exists():
            kept = runs.read_json(path)
            if kept["fingerprint"] != atoms.info["fingerprint"] or kept["mode"] != dft.MODES[mode]:
                raise ValueError(f"{path}: computed for other positions or another DFT mode; delete it to recompute")
            done.append(path)
            continue
        r = dft.single_point(atoms, mode)
        r["forces_eV_A"] = np.round(r["forces_eV_A"], 6).tolist()
        runs.write_json(path, {**{k: atoms.info[k] for k in ("run", "frame", "kind", "n_broken_P", "time_ps",
                                                              "fingerprint")},
                               **r, "gpaw_version": _gpaw_version(), **runs.provenance()})
        done.append(path)
        computed += 1
        rate = (time.time() - start) / computed
        print(f"ps4_dft: {path.stem} ({atoms.info['kind']}): E = {r['energy_eV']:.3f} eV, {r['scf_iterations']} SCF "
              f"steps, {r['wall_s']:.0f} s; {len(todo) - computed} left, ~{rate * (len(todo) - computed) / 60:.0f} min",
              flush=True)
    return done


def interleaved(frames: list) -> list:
    """``frames`` round-robin over their (run, kind) groups: broken and intact of the first run, then of the next,
    then the second frame of each group, and so on."""
    groups: dict[tuple, list] = {}
    for atoms in frames:
        groups.setdefault((atoms.info["run"], atoms.info["kind"]), []).append(atoms)
    depth = max((len(g) for g in groups.values()), default=0)
    return [g[k] for k in range(depth) for g in groups.values() if k < len(g)]


def _gpaw_version() -> str:
    from importlib import metadata

    return metadata.version("gpaw")


def compare(frames: list, dft_dir: Path, teacher_file: Path | None, model_path: Path,
            kept_file: str = "model_energies.json") -> dict:
    """Per frame the DFT, model and teacher energies; per run Δ = E(broken) − E(intact) of each (eV per cell) with
    its standard error, and the model's and teacher's error on Δ from their paired residuals against DFT. The
    model's energies are kept in ``dft_dir``'s parent (``kept_file``, by model hash and frames)."""
    teacher = None
    if teacher_file is not None and Path(teacher_file).exists():
        with np.load(teacher_file) as t:
            teacher = {str(f): float(e) for f, e in zip(t["fingerprint"], t["energy_eV"])}
    done, dft = [], []
    for atoms in frames:
        path = Path(dft_dir) / f"{frame_id(atoms.info['run'], atoms.info['frame'])}.json"
        if not path.exists():
            continue
        d = runs.read_json(path)
        if d["fingerprint"] != atoms.info["fingerprint"]:
            raise ValueError(f"{path}: computed for other positions than {atoms.info['run']} frame {atoms.info['frame']}")
        done.append(atoms)
        dft.append(d["energy_eV"])
    energies = runs.kept_or_computed(Path(dft_dir).parent / kept_file,
                                     {"model_sha256": file_sha256(model_path), "frames_sha256": data.frames_sha256(done)},
                                     lambda: {"E_model_eV": _model_energies(done, model_path)})["E_model_eV"]
    rows = [{**{k: atoms.info[k] for k in ("run", "frame", "kind", "n_broken_P", "time_ps")},
             "E_dft_eV": e_dft, "E_model_eV": e_model,
             "E_teacher_eV": teacher.get(atoms.info["fingerprint"]) if teacher else None}
            for atoms, e_dft, e_model in zip(done, dft, energies)]
    return {"frames": rows, "per_run": differences(rows)}


def _model_energies(frames: list, model_path: Path) -> list[float]:
    """The model's potential energies (eV per cell), in float64."""
    from analysis.model import import_mace

    import_mace()
    from mace.calculators import MACECalculator

    calc = MACECalculator(model_paths=str(model_path), device="cpu", default_dtype="float64")
    out = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = calc
        out.append(float(probe.get_potential_energy()))
    return out


def differences(rows: list[dict]) -> list[dict]:
    """Per run: Δ of each code with its standard error, and the error on Δ of the model and teacher against DFT."""
    out = []
    for run in dict.fromkeys(r["run"] for r in rows):
        mine = [r for r in rows if r["run"] == run]
        entry = {"run": run, "n_broken": sum(r["kind"] == "broken" for r in mine),
                 "n_intact": sum(r["kind"] == "intact" for r in mine)}
        if not entry["n_broken"] or not entry["n_intact"]:
            out.append(entry)
            continue
        for code in ("dft", "model", "teacher"):
            values = {kind: np.array([r[f"E_{code}_eV"] for r in mine if r["kind"] == kind], dtype=float)
                      for kind in ("broken", "intact")}
            if any(np.isnan(v).any() for v in values.values()):
                continue
            entry[f"delta_{code}_eV"], entry[f"delta_{code}_err_eV"] = _difference(values["broken"], values["intact"])
            if code != "dft":
                residual = {kind: values[kind] - np.array([r["E_dft_eV"] for r in mine if r["kind"] == kind])
                            for kind in values}
                entry[f"delta_{code}_minus_dft_eV"], entry[f"delta_{code}_minus_dft_err_eV"] = _difference(
                    residual["broken"], residual["intact"])
        out.append(entry)
    return out


def weighted_mean(values, errors) -> tuple[float, float]:
    """Inverse-variance mean of independent estimates and its standard error (errors floored at 1 µeV)."""
    weights = 1.0 / np.maximum(np.asarray(errors, dtype=float), 1e-6) ** 2
    return float(np.sum(weights * np.asarray(values, dtype=float)) / np.sum(weights)), float(1.0 / np.sqrt(np.sum(weights)))


def combined_model_error(per_run: list[dict], code: str = "model") -> tuple[float, float] | None:
    """The inverse-variance mean over runs of ``code``'s error on Δ (eV per cell) and its standard error."""
    pairs = [(r[f"delta_{code}_minus_dft_eV"], r[f"delta_{code}_minus_dft_err_eV"]) for r in per_run
             if f"delta_{code}_minus_dft_eV" in r]
    return weighted_mean(*zip(*pairs)) if pairs else None


def describe(error: tuple[float, float] | None) -> str:
    """An error on Δ with its standard error, e.g. "-0.73 ± 0.09 eV"."""
    return f"{error[0]:+.2f} ± {error[1]:.2f} eV" if error else "not computed"


# the reading of the result, fixed before the DFT numbers existed: the model's error on Δ within 2 standard errors
# of zero means DFT agrees with the model about what a broken PS4 unit costs
AGREEMENT_SIGMA = 2.0


def reading(per_run: list[dict]) -> dict | None:
    """The model's combined error on Δ (eV per cell) with its standard error, and what it means: "agrees",
    "too low" (the model makes breaking too cheap: an artefact) or "too high" (DFT breaks at least as readily)."""
    combined = combined_model_error(per_run)
    if combined is None:
        return None
    error, sigma = combined
    category = "agrees" if abs(error) <= AGREEMENT_SIGMA * sigma else "too low" if error < 0 else "too high"
    return {"model_error_eV": error, "model_error_err_eV": sigma, "category": category}


def verdict(per_run: list[dict]) -> str:
    """What the comparison means for the temperature window, in one or two sentences."""
    r = reading(per_run)
    if r is None:
        return "No run has both kinds of frames computed yet."
    head = f"Over the runs, the model's error on Δ is {r['model_error_eV']:+.2f} ± {r['model_error_err_eV']:.2f} eV per cell"
    if r["category"] == "agrees":
        return (head + ": DFT agrees with the model about what the broken frames cost, so at the PBE level the "
                "breaking is not an artefact of the model; the window still ends where the breaking starts, because a "
                "broken unit is a chemical change (decomposition), not Li diffusion in Li₆.₇₅P₃S₁₁.")
    if r["category"] == "too low":
        return (head + f": the model puts the broken frames {abs(r['model_error_eV']):.2f} eV too low against DFT, an "
                "artefact that favours breaking; runs with broken PS₄ units stay out of the fit, and such frames "
                "belong in the training data of a better model.")
    return (head + f": the model puts the broken frames {r['model_error_eV']:.2f} eV too high against DFT, so DFT "
            "would break PS₄ units at least as readily: the breaking is physical at the PBE level, and the window ends "
            "there.")


def _difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean of ``a`` minus mean of ``b`` and its standard error (sample standard deviations)."""
    err = np.sqrt((a.var(ddof=1) / len(a) if len(a) > 1 else 0.0) + (b.var(ddof=1) / len(b) if len(b) > 1 else 0.0))
    return float(a.mean() - b.mean()), float(err)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["select", "label"])
    parser.add_argument("plan", type=Path)
    args = parser.parse_args(argv)
    try:
        plan = study_plan.load(args.plan)
        s = settings(plan)
        if not s:
            print(f"{args.plan}: no [ps4_dft] section: nothing to do")
            return 0
        frames = select(plan)
        if args.stage == "select":
            data.write_extxyz(frames, folder() / "frames.extxyz")
            print(folder() / "frames.extxyz")
        else:
            label(frames, s["mode"])
    except (study_plan.PlanError, OSError, ValueError, RuntimeError, data.DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
