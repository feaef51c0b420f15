"""Run a cheap study step only when what it reads has changed, by content rather than file time.

    python -m analysis.steps diffusion --inputs FILE... --outputs FILE... -- COMMAND...

Make decides by file times, and a fresh clone's file times are arbitrary, so without this every
aggregate step would rerun after ``git clone`` and rewrite committed results (with new dates). The
wrapper hashes the step's inputs (Make passes its prerequisites: notebook, code, run summaries,
settings are in the command) and keeps the hashes in ``derived/.steps/<step>.json`` (committed). When
that record matches and every output exists, the command is not run and nothing is written; Make
hands every cheap step to this wrapper on every call (prerequisite ``FORCE``). ``REDO=1`` in the environment (``make study REDO=1``) runs every
step anyway, e.g. to check that it reproduces the committed numbers; ``REDO=diffusion`` only that one.

The provenance fields of JSON inputs (``runs.PROVENANCE_KEYS``: commit, date, versions, machine,
BLAS kernel) are not hashed: a result that was only remade somewhere else is the same input.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from analysis import paths, runs


def record_path(step: str) -> Path:
    return paths.derived_dir() / ".steps" / f"{step}.json"


def content_sha256(path: Path) -> str:
    """sha256 of a file; for a JSON object, of its content without the provenance fields."""
    raw = Path(path).read_bytes()
    if Path(path).suffix == ".json":
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if isinstance(value, dict):
            raw = json.dumps({k: v for k, v in value.items() if k not in runs.PROVENANCE_KEYS},
                             sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()


def inputs_record(command: list[str], inputs: list[Path]) -> dict:
    """The command and the content hash of every input file, and one digest over both. Of the ``analysis``
    modules among the inputs only those the command's code imports count (``code_inputs``)."""
    inputs = code_inputs(command, [Path(p) for p in inputs])
    files = {_relative(p): content_sha256(p) for p in sorted(set(inputs), key=str) if Path(p).is_file()}
    body = {"command": [_relative_arg(a) for a in command], "inputs": files}
    return {**body, "digest": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()}


def imported_modules(source: Path) -> set[str]:
    """The ``analysis`` modules a Python file imports anywhere (top level or inside functions), or names as
    ``analysis.<module>`` in a string (``python -m analysis.teacher`` in a subprocess)."""
    found = set()
    for node in ast.walk(ast.parse(Path(source).read_text(), str(source))):
        if isinstance(node, ast.ImportFrom) and node.module == "analysis":
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("analysis."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("analysis.")}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("analysis."):
            found.add(node.value.split(".")[1])
    return found


def code_inputs(command: list[str], inputs: list[Path]) -> list[Path]:
    """``inputs`` without the ``analysis/*.py`` files that the command's code cannot reach: the study notebooks
    (``.py``) named in the command and any ``-m analysis.<module>``, followed through their imports. A change to
    the hand-in code then reruns no notebook. Without such code in the command every input is kept."""
    package = paths.ROOT / "analysis"
    todo = {package / f"{a.split('.')[1]}.py" for a in command if a.startswith("analysis.")}
    todo |= {Path(a) if Path(a).is_absolute() else paths.ROOT / a for a in command
             if a.endswith(".py") and Path(a if Path(a).is_absolute() else paths.ROOT / a).is_file()}
    if not todo:
        return inputs
    reached = {package / "__init__.py"}
    while todo:
        source = todo.pop()
        reached.add(source.resolve())
        todo |= {package / f"{m}.py" for m in imported_modules(source)
                 if (package / f"{m}.py").is_file() and (package / f"{m}.py").resolve() not in reached}
    return [p for p in inputs if p.resolve().parent != package.resolve() or p.suffix != ".py" or p.resolve() in reached]


def up_to_date(step: str, record: dict, outputs: list[Path]) -> bool:
    path = record_path(step)
    if not path.exists() or not all(Path(p).exists() for p in outputs):
        return False
    try:
        return runs.read_json(path).get("digest") == record["digest"]
    except (OSError, ValueError):
        return False


def changed_inputs(step: str, record: dict) -> list[str]:
    """Which inputs differ from the recorded ones (for the progress line)."""
    path = record_path(step)
    old = runs.read_json(path).get("inputs", {}) if path.exists() else {}
    new = record["inputs"]
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def run_step(step: str, command: list[str], inputs: list[Path], outputs: list[Path], force: bool = False) -> int:
    """Run ``command`` unless ``step`` is up to date; record the inputs after a successful run."""
    record = inputs_record(command, inputs)
    if not force and up_to_date(step, record, outputs):
        print(f"{step}: inputs unchanged since it was made (digest {record['digest'][:12]}); outputs kept")
        return 0
    changed = changed_inputs(step, record)
    path = record_path(step)
    if not changed and path.exists() and runs.read_json(path).get("command") != record["command"]:
        changed = ["settings"]  # the command line (the step's Make settings) differs from the recorded one
    why = "REDO" if force and not changed else (", ".join(changed[:4]) + (" ..." if len(changed) > 4 else "")
                                                if changed else "outputs missing")
    print(f"{step}: running ({why})", flush=True)
    status = subprocess.call(command)
    if status == 0:
        runs.write_json(record_path(step), record)
    return status


_relative = paths.relative


def _relative_arg(arg: str) -> str:
    """Command arguments that are project paths are recorded relative to the project."""
    return _relative(Path(arg)) if os.sep in arg and Path(arg).is_absolute() else arg


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print("usage: python -m analysis.steps STEP --inputs F... --outputs F... -- COMMAND...", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step")
    parser.add_argument("--inputs", nargs="*", type=Path, default=[])
    parser.add_argument("--outputs", nargs="*", type=Path, default=[])
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if not command:
        print("error: no command after --", file=sys.stderr)
        return 2
    return run_step(args.step, command, args.inputs, args.outputs, redo_requested(args.step))


def redo_requested(step: str, value: str | None = None) -> bool:
    """``REDO=1`` (or ``all``) forces every step, ``REDO=diffusion,summary`` only those named."""
    value = os.environ.get("REDO", "") if value is None else value
    names = {v.strip() for v in value.split(",") if v.strip()}
    return bool(names & {"1", "all", "yes", step})


if __name__ == "__main__":
    sys.exit(main())
