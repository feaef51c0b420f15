"""The files an MD run writes and the readers of them: trajectory chunks, ``thermo.csv``, ``positions.npz``.

Shared by the MD driver (``analysis.md``) and everything that reads finished runs (diffusion, committee,
stability), so readers need not import the driver. Positions in Å (unwrapped), times in fs or ps as named.

The kept positions of a run are ``positions.npz`` plus, once the run has been resumed, one segment per resumption
(``positions-from-<k>.npz``: the kept frames from ``k`` on). A resumed run writes only its own segment, so the
files already committed are never rewritten and git stores each frame once, not once per checkpoint commit.
Readers see the stitched whole (``load_positions``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import Trajectory

from analysis import runs
from analysis.model import file_sha256

POSITIONS_FILE = "positions.npz"
SEGMENT_NAME = re.compile(r"^positions-from-(\d+)\.npz$")
POSITIONS_STRIDE_FS = 100.0
THERMO_COLUMNS = ("step", "time_ps", "phase", "temperature_K", "epot_eV", "ekin_eV",
                  "min_distance_A", "thermostat_energy_eV", "core_repulsion_eV", "closest_to_limit",
                  "committee_sigma_eV_A")


def production_time_ps(failure: dict, equilibration_ps: float) -> float:
    """ps of production at which a monitor stopped a run (0 if it stopped during equilibration)."""
    return round(max(0.0, failure["time_ps"] - equilibration_ps), 3)


def stopped_in_equilibration(failure: dict | None, equilibration_ps: float) -> bool:
    """Whether a monitor stopped a run before its production began (the one place this is decided: the events
    table, the notebooks and the report read it from here or from ``stability.production_events``): the phase the
    monitor recorded (its last equilibration step is at ``equilibration_ps``), else the time since the start, with
    the same boundary (``md._observe``: a step at ``equilibration_ps`` is still equilibration)."""
    if not failure or not equilibration_ps:
        return False
    if "phase" in failure:
        return failure["phase"] == "equilibration"
    return failure["time_ps"] <= equilibration_ps


def failure_when(failure: dict, equilibration_ps: float) -> str:
    """When a monitor stopped a run, as every notebook and the report quote it: ps of production first (the
    events table's unit), the time since the start (``failure["time_ps"]``) only beside it."""
    production = production_time_ps(failure, equilibration_ps)
    if stopped_in_equilibration(failure, equilibration_ps):
        return f"in equilibration, {failure['time_ps']:.2f} ps after the start"
    return (f"{production:g} ps into production ({failure['time_ps']:.2f} ps after the start)" if equilibration_ps
            else f"at {production:g} ps")


class RunFileError(RuntimeError):
    """A run's files do not fit together (e.g. positions.npz shorter than its checkpoint says)."""


def chunk_path(run: Path, index: int) -> Path:
    return run / "chunks" / f"chunk-{index:05d}.traj"


def write_thermo(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=THERMO_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    runs.atomic_write_text(path, buf.getvalue())


def read_thermo(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path) as handle:
        return list(csv.DictReader(handle))


def core_repulsion_activity(rows: list[dict]) -> dict:
    """How often the core repulsion acted along a run: fraction of thermo samples with energy > 0, max (eV).

    Values are None for runs recorded before the ``core_repulsion_eV`` column existed.
    """
    values = [float(r["core_repulsion_eV"]) for r in rows if r.get("core_repulsion_eV") not in (None, "")]
    if not values:
        return {"core_active_fraction": None, "core_max_eV": None}
    return {"core_active_fraction": float(np.mean(np.array(values) > 0)), "core_max_eV": float(max(values))}


def count_frames(run: Path) -> int:
    """Production frames written to the run's trajectory chunks."""
    return sum(len(Trajectory(p)) for p in sorted((run / "chunks").glob("chunk-*.traj")))


def write_chunk(path: Path, frames: list[Atoms]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = runs.temporary_path(path)
    with Trajectory(tmp, "w") as traj:
        for frame in frames:
            traj.write(frame)
    tmp.replace(path)


def _positions_stride(sample_interval_fs: float, stride_fs: float = POSITIONS_STRIDE_FS) -> int:
    """Every how many trajectory frames ``positions.npz`` keeps one (frames 0, k, 2k, ... of the production)."""
    return max(1, round(stride_fs / sample_interval_fs))


def positions_kept(n_frames: int, sample_interval_fs: float) -> int:
    stride = _positions_stride(sample_interval_fs)
    return (n_frames + stride - 1) // stride


def segment_path(run: Path, first_kept: int) -> Path:
    """The file that holds a run's kept frames from ``first_kept`` on: ``positions.npz`` for a run started here,
    ``positions-from-<first_kept>.npz`` for one resumed there."""
    return Path(run) / (POSITIONS_FILE if first_kept == 0 else f"positions-from-{first_kept:06d}.npz")


def positions_files(run: Path) -> list[tuple[int, Path]]:
    """``positions.npz`` and the segments that continue it, as (first kept frame, path), in order."""
    run = Path(run)
    files = [(0, run / POSITIONS_FILE)] if (run / POSITIONS_FILE).exists() else []
    for path in run.glob("positions-from-*.npz"):
        if match := SEGMENT_NAME.match(path.name):
            files.append((int(match.group(1)), path))
    return sorted(files)


def load_positions(run: Path) -> dict:
    """A run's kept positions stitched from its files: ``positions_A`` (frames, atoms, 3; Å, float32), ``numbers``,
    ``cell_A`` and ``sample_interval_fs`` (spacing of the kept frames). A segment replaces whatever the files before
    it hold from its first frame on (frames past a checkpoint, lost to an interruption and made again)."""
    files = positions_files(run)
    if not files or files[0][0] != 0:
        raise FileNotFoundError(f"{Path(run) / POSITIONS_FILE}: missing")
    whole: np.ndarray | None = None
    meta: dict = {}
    for first, path in files:
        with np.load(path) as f:
            count = 0 if whole is None else len(whole)
            if first > count:
                raise RunFileError(f"{path}: starts at kept frame {first}, but the files before it end at {count}")
            if meta and (float(f["sample_interval_fs"]) != meta["sample_interval_fs"]
                         or not np.array_equal(f["numbers"], meta["numbers"])):
                raise RunFileError(f"{path}: other atoms or frame spacing than {POSITIONS_FILE}")
            if not meta:
                meta = {"numbers": f["numbers"], "cell_A": f["cell_A"],
                        "sample_interval_fs": float(f["sample_interval_fs"])}
            whole = f["positions_A"] if whole is None else np.concatenate([whole[:first], f["positions_A"]])
    return {"positions_A": whole, **meta}


def positions_count(run: Path) -> int:
    """Kept frames of a run (0 if it has none yet)."""
    return len(load_positions(run)["positions_A"]) if positions_files(run) else 0


def append_positions(run: Path, frames: list[Atoms], first_index: int, sample_interval_fs: float,
                     since: int = 0) -> None:
    """Add the frames of one chunk (production frames ``first_index`` on) to the run's positions, keeping every
    ``_positions_stride``-th frame of the whole production, as ``export_positions`` would from all chunks.

    ``since``: the kept frame at which this process resumed (0 for a run started here). Its frames go to its own
    file (``segment_path``), rewritten at every chunk; the files before it stay as they are."""
    stride = _positions_stride(sample_interval_fs)
    kept = [f for k, f in enumerate(frames, first_index) if k % stride == 0]
    # a run (re)started from its first frame replaces whatever positions files a run before it left
    stored = load_positions(run)["positions_A"] if first_index and positions_files(run) else np.zeros((0,))
    have, expected = len(stored), positions_kept(first_index, sample_interval_fs)
    if have < expected:
        if count_frames(run) == first_index + len(frames):  # the chunks are all here: rebuild from them
            export_positions(run, sample_interval_fs)
            return
        raise RunFileError(f"{Path(run) / POSITIONS_FILE}: with its segments holds {have} frames, expected "
                           f"{expected} before production frame {first_index}")
    if not kept and have == expected:
        return
    new = np.array([f.positions for f in kept], dtype=np.float32).reshape(len(kept), -1, 3)
    if expected > since:  # this process's frames so far (frames beyond the checkpoint are made again)
        new = np.concatenate([stored[since:expected], new])
    if not len(new):
        return
    for first, stale in positions_files(run):
        if first > since:  # a later resumption whose checkpoint is gone: superseded by what is made now
            stale.unlink()
    _write_positions(segment_path(run, since), new, frames[0], stride * sample_interval_fs)


def _write_positions(path: Path, positions_A: np.ndarray, like: Atoms, interval_fs: float) -> Path:
    """``positions.npz`` (Å as float32, species, cell, frame spacing in fs), written atomically."""
    tmp = runs.temporary_path(path)
    with open(tmp, "wb") as handle:
        np.savez_compressed(handle, positions_A=np.asarray(positions_A, dtype=np.float32), numbers=like.numbers,
                            cell_A=np.asarray(like.cell), sample_interval_fs=np.float64(interval_fs))
    tmp.replace(path)
    return path


def read_trajectory(run: Path) -> list[Atoms]:
    """All production frames of a run, in order (positions unwrapped, Å)."""
    frames: list[Atoms] = []
    for path in sorted((Path(run) / "chunks").glob("chunk-*.traj")):
        with Trajectory(path) as traj:
            frames.extend(traj)
    return frames


def export_positions(run: Path, sample_interval_fs: float, stride_fs: float = POSITIONS_STRIDE_FS) -> Path:
    """Write the run's unwrapped production positions (Å, float32) every ``stride_fs`` to ``positions.npz`` (and
    remove its segments), from the trajectory chunks; refused when they hold fewer frames than the positions files
    (a clone's chunks start where the run resumed on this machine)."""
    frames = read_trajectory(run)
    if not frames:
        raise ValueError(f"{run}: no trajectory frames to export")
    if positions_files(run):
        stored = load_positions(run)
        needed = (len(stored["positions_A"]) - 1) * round(stored["sample_interval_fs"] / sample_interval_fs) + 1
        if len(frames) < needed:
            raise RunFileError(f"{run}: its trajectory chunks hold {len(frames)} frames, the positions files "
                               f"{needed}; they are kept as they are")
    step = _positions_stride(sample_interval_fs, stride_fs)
    kept = frames[::step]
    written = _write_positions(Path(run) / POSITIONS_FILE, np.array([f.positions for f in kept]), kept[0],
                               step * sample_interval_fs)
    for first, segment in positions_files(run):
        if first:  # positions.npz now holds every frame
            segment.unlink()
    return written


def _finished_piece(run: Path, piece: dict | None) -> dict | None:
    """The summary of the piece to read: ``piece`` if given, else the last finished piece while the run is extended
    (``runs.piece_summary_path``); None when the run's positions are all one finished (or unfinished) piece."""
    if piece is not None:
        return piece
    path = runs.piece_summary_path(run)
    return None if path is None or path == runs.summary_path(run) else runs.read_json(path)


def _piece_length(stored: dict, piece: dict | None) -> int | None:
    """Kept frames of ``stored`` (``load_positions``) in ``piece``; None when that is all of them. The files' own
    spacing decides (``export_positions`` may have been given another stride)."""
    if piece is None:
        return None
    stride = max(1, round(stored["sample_interval_fs"] / piece["settings"]["sample_interval_fs"]))
    n = (piece["n_frames"] + stride - 1) // stride
    return None if n >= len(stored["positions_A"]) else n


def piece_positions(run: Path, piece: dict | None = None) -> int | None:
    """How many of the run's kept frames belong to one finished piece of the run: ``piece``, a summary the caller
    read (``summary.json`` or a set-aside ``summary-production<ps>ps.json``), or by default the last finished piece
    (``runs.piece_summary_path``). While a longer piece is made the positions grow beyond it; None when all of them
    are the piece. Pass the summary that was read: the run may finish its new piece in between."""
    piece = _finished_piece(run, piece)
    if piece is None or not positions_files(run):
        return None
    return _piece_length(load_positions(run), piece)


def positions_sha256(run: Path, piece: dict | None = None) -> str:
    """sha256 of the positions the analysis reads (``read_positions`` with the same ``piece``): of ``positions.npz``
    when it is all of them; else of the frames themselves (the same however they are split into files, and the same
    while the run grows beyond its finished piece)."""
    files, piece = positions_files(run), _finished_piece(run, piece)
    if piece is None and len(files) == 1:
        return file_sha256(files[0][1])
    stored = load_positions(run)
    n = _piece_length(stored, piece)
    if n is None and len(files) == 1:
        return file_sha256(files[0][1])
    kept = np.ascontiguousarray(stored["positions_A"][:n])
    return f"first-{len(kept)}-frames:" + hashlib.sha256(kept.tobytes()).hexdigest()


def read_positions(run: Path, piece: dict | None = None) -> tuple[list[Atoms], float]:
    """Production frames and their spacing (fs) from the run's kept positions, made from the chunks if missing; of
    one finished piece of the run (``piece_positions``: by default the last, while the run is extended)."""
    path = Path(run) / POSITIONS_FILE
    if not positions_files(run):
        if not list((Path(run) / "chunks").glob("chunk-*.traj")):
            raise FileNotFoundError(f"{path}: missing, and no trajectory chunks to make it from")
        export_positions(run, runs.read_json(Path(run) / "settings.json")["settings"]["sample_interval_fs"])
    data = load_positions(run)
    n = _piece_length(data, _finished_piece(run, piece))
    frames = [Atoms(data["numbers"], positions=p, cell=data["cell_A"], pbc=True)
              for p in data["positions_A"][:n].astype(np.float64)]
    return frames, data["sample_interval_fs"]
