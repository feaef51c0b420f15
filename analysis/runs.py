"""Run folders, run summaries and provenance.

One run = one parameter set = one folder named by its parameters (``md-T600-seed1``). Each run
writes ``summary.json`` (parameters, seed, versions, git commit, timings, outputs, status) last
and atomically, so a folder without a finished summary is never mistaken for a finished run.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import math
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from analysis import paths

TRACKED_PACKAGES = ("mace-torch", "torch", "ase", "numpy", "scipy", "kinisi", "papermill")
# fields of a result that say where and when it was made, not what it is: a rerun may change them
PROVENANCE_KEYS = ("git_commit", "created", "versions", "machine", "host_cpus", "blas", "provenance")


TEMPORARY_SUFFIX = ".tmp"  # what temporary_path appends; globbed to clear files left by a kill


def temporary_path(path: Path, suffix: str = TEMPORARY_SUFFIX) -> Path:
    """A sibling of ``path`` private to this process (``NAME.<pid>.tmp``), to write to and then rename.

    Two processes making the same file at once (two ``make`` targets that share the data split,
    say) each write their own temporary file, so neither renames or removes the other's.
    """
    path = Path(path)
    return path.with_name(f"{path.name}.{os.getpid()}{suffix}")


def atomic_write_text(path: Path, text: str) -> None:
    """Write text via a temporary file and rename, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    tmp.write_text(text)
    tmp.replace(path)


def write_json(path: Path, data: dict) -> None:
    """Strict JSON (NaN/inf become null), written atomically."""
    atomic_write_text(path, json.dumps(_finite(data), indent=1, default=_json_default, allow_nan=False) + "\n")


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return _finite(value.item())
    return value


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def kept_or_computed(path: Path, key: dict, compute) -> dict:
    """The values stored in ``path`` (JSON: ``key`` and the values) under the same ``key``, else ``compute()``'s
    (a dict), stored there.

    For numbers a model computes in floating point from committed inputs: another CPU rounds their last bits
    differently, so recomputing them on every rerun would change committed results with nothing changed. The
    key names every input (model hashes, a hash of the configurations, settings); a new input recomputes."""
    path = Path(path)
    if not is_kept(path, key):
        write_json(path, {"key": _as_stored(key), **compute()})
    return {k: v for k, v in read_json(path).items() if k != "key"}  # the stored form either way


def is_kept(path: Path, key: dict) -> bool:
    """Whether ``path`` holds values stored under ``key`` (``kept_or_computed`` would reuse them)."""
    path = Path(path)
    return path.exists() and read_json(path).get("key") == _as_stored(key)


def _as_stored(key: dict) -> dict:
    return json.loads(json.dumps(_finite(key), default=_json_default))


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def git_commit() -> str:
    """Current commit of the study repository (``unknown`` outside git); ``+dirty`` if modified."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "analysis", "study"],
            cwd=paths.ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def provenance() -> dict:
    """Where and when a result was made (the fields a rerun is allowed to change, with ``blas``)."""
    return {"git_commit": git_commit(), "created": now_iso(), "versions": versions(),
            "machine": platform.machine(), "host_cpus": _cpu_count(), "blas": _blas()}


def _blas() -> list[str]:
    try:
        from analysis import numerics

        return numerics.blas_kernels()
    except ImportError:
        return []


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


class RunBusy(RuntimeError):
    """Another process is working on this run folder."""


@contextlib.contextmanager
def exclusive(run: Path, lock_name: str = ".lock", what: str = "this run"):
    """Hold an exclusive lock on ``run`` (``lock_name``) so no second process computes the same run.

    The lock is released when the process ends, however it ends (it is an ``flock``).
    """
    run = Path(run)
    run.mkdir(parents=True, exist_ok=True)
    with open(run / lock_name, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunBusy(f"{run}: another process is computing {what}; wait for it or stop it") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def format_value(value) -> str:
    """Parameter value as it appears in a run name (``600`` not ``600.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def summary_path(run: Path) -> Path:
    return Path(run) / "summary.json"


SET_ASIDE_PREFIX = "summary-production"  # summary-production<ps>ps.json: a piece's summary, kept when a run is extended


def piece_summary_path(run: Path) -> Path | None:
    """The summary of a run's last finished piece: ``summary.json``; while a longer piece is being made (an extension,
    ``analysis.md``), the summary the extension set aside (``summary-production<ps>ps.json``, the longest); None when
    no piece has finished. The analysis reads a run at this length, so that its results stay the same while the run
    is extended, here or on another machine."""
    run = Path(run)
    if summary_path(run).exists():
        return summary_path(run)
    set_aside = sorted(run.glob(f"{SET_ASIDE_PREFIX}*ps.json"),
                       key=lambda p: float(p.name[len(SET_ASIDE_PREFIX):-len("ps.json")]))
    return set_aside[-1] if set_aside else None


def is_finished(run: Path) -> bool:
    """A run is finished only when its summary exists and says ``status: done``."""
    path = summary_path(run)
    return path.exists() and read_json(path).get("status") == "done"
