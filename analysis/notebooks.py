"""Run a study notebook (jupytext ``.py`` source) through papermill with parameters.

    python -m analysis.notebooks study/04_md.py data/runs/md-T650-seed2/notebook.ipynb \\
        -p temperature_K 650 -p seed 2

Parameters are parsed as YAML, like ``papermill -p``. The executed notebook is written next to
its run. A failed notebook is kept as ``*.failed.ipynb`` for inspection and never counts as done
(the study's Make targets are the run summaries the notebooks write last). On failure the last
line printed is the notebook's error, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

from analysis import numerics, paths, runs

KERNEL_NAME = "lips-study"


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def run_notebook(source: Path, output: Path, parameters: dict) -> None:
    """Execute ``source`` (jupytext percent format) with ``parameters`` into ``output``."""
    import jupytext
    import papermill

    source, output = Path(source), Path(output)
    if not source.exists():
        raise FileNotFoundError(f"{source}: notebook not found")
    notebook = jupytext.read(source)
    declared = declared_parameters(notebook)
    unknown = sorted(set(parameters) - declared)
    if unknown:  # papermill would only warn, and e.g. a misspelt temperature_K would run at the default
        raise NotebookFailed(f"{source}: unknown parameter {', '.join(unknown)} "
                             f"(it declares {', '.join(sorted(declared))})")
    _check_types(source, notebook, parameters)
    new_folder = not output.parent.exists()
    output.parent.mkdir(parents=True, exist_ok=True)
    failed = output.with_name(output.stem + ".failed.ipynb")
    kernel = _kernel_name()
    notebook.metadata["kernelspec"] = {"name": kernel, "language": "python", "display_name": "Python 3"}
    notebook.metadata["language_info"] = {"name": "python"}
    numerics.pin()  # the kernel inherits this environment: same BLAS kernel, one thread
    # a second process making the same notebook (e.g. two `make` calls) stops here, before touching its files
    with runs.exclusive(output.parent, f".{output.stem}.notebook.lock", f"{output.name}"), \
            tempfile.TemporaryDirectory() as tmp:
        converted = Path(tmp) / (source.stem + ".ipynb")
        jupytext.write(notebook, converted)
        partial = output.with_name(output.stem + ".running.ipynb")
        try:
            papermill.execute_notebook(
                str(converted), str(partial), parameters=parameters, kernel_name=kernel, language="python",
                cwd=str(paths.ROOT), log_output=True, progress_bar=False,
            )
        except papermill.PapermillExecutionError as exc:
            partial.replace(failed)
            failed = _discard_if_never_started(output.parent, failed, new_folder)
            raise NotebookFailed(f"{source} failed (kept as {failed}): {exc.ename}: {_last_line(exc.evalue)}") from None
        except BaseException:
            if partial.exists():
                partial.replace(failed)
            raise
        project_relative(partial)
        record_source(partial, source)
        partial.replace(output)
        failed.unlink(missing_ok=True)


# a warning raised in a cell names the kernel's temporary copy of it, e.g. "/tmp/ipykernel_18194/3543885733.py:16:".
# The match may start only where a path can (after a space, a quote or at the start): without that anchor the search
# starts again at every character of a long base64 image and takes minutes per notebook (quadratic in its length).
KERNEL_CELL_FILE = re.compile(r"(?<![^\s\"'])[^\s\"']*ipykernel_\d+/\d+\.py:(?=\d+:)")


def project_relative(notebook_file: Path) -> None:
    """Write the executed notebook with paths inside the project relative to its root (warnings print the
    environment's absolute paths; committed files hold no machine's paths) and a warning raised in a cell
    attributed to ``<cell>:<line>`` instead of the kernel's temporary file (whose name differs on every run)."""
    text = Path(notebook_file).read_text()
    relative = text.replace(f"{paths.ROOT}/", "")
    relative = re.sub(re.escape(str(paths.ROOT)) + r"(?![\w.+-])", ".", relative)  # e.g. git's "cwd=<root>" in logs
    relative = KERNEL_CELL_FILE.sub("<cell>:", relative)
    if relative != text:
        Path(notebook_file).write_text(relative)


def record_source(notebook_file: Path, source: Path) -> None:
    """Name the jupytext source, relative to the project, as the executed notebook's papermill input (papermill
    records the temporary .ipynb it was converted to, a path that differs on every run and exists on no machine)."""
    notebook = json.loads(Path(notebook_file).read_text())
    source = Path(source).resolve()
    shown = source.relative_to(paths.ROOT) if source.is_relative_to(paths.ROOT) else source
    notebook.setdefault("metadata", {}).setdefault("papermill", {})["input_path"] = str(shown)
    Path(notebook_file).write_text(json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n")


def _discard_if_never_started(folder: Path, failed: Path, new_folder: bool) -> Path:
    """A run folder this call created, in which nothing but the failed notebook was written (a parameter
    refused before any computation), is removed; the failed notebook moves to the temp folder."""
    leftovers = [p for p in folder.iterdir() if p != failed and not p.name.endswith(".lock")]
    if not new_folder or leftovers:
        return failed
    kept = Path(tempfile.gettempdir()) / f"{folder.name}-{failed.name}"
    shutil.move(str(failed), kept)
    shutil.rmtree(folder, ignore_errors=True)
    return kept


def declared_parameters(notebook) -> set[str]:
    """Names assigned in the notebook's cell tagged ``parameters`` (as papermill reads them)."""
    from papermill.translators import PythonTranslator

    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    return {p.name for c in cells for p in PythonTranslator.inspect({"source": c.source})}


def _check_types(source: Path, notebook, parameters: dict) -> None:
    """A parameter whose default is a number (or a bool) must be given a number (or a bool): papermill would pass
    e.g. ``fit_start_ps='abc'`` through, and the notebook would fail deep inside with an unrelated error."""
    import ast

    from papermill.translators import PythonTranslator

    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    for p in (p for c in cells for p in PythonTranslator.inspect({"source": c.source})):
        if p.name not in parameters:
            continue
        try:
            default = ast.literal_eval(p.default)
        except (ValueError, SyntaxError):
            continue
        value = parameters[p.name]
        if value is None:  # null: e.g. stage_two_start_epoch None, no stage two (the notebook checks what it allows)
            continue
        if isinstance(default, bool):
            expected, ok = "true or false", isinstance(value, bool)
        elif isinstance(default, (int, float)):
            expected, ok = "a number", isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            continue
        if not ok:
            raise NotebookFailed(f"{source}: parameter {p.name}={value!r}: expected {expected} (default {default!r})")


class NotebookFailed(RuntimeError):
    pass


def _last_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="study notebook (.py, jupytext percent format)")
    parser.add_argument("output", type=Path, help="executed notebook to write (.ipynb)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"), help="parameter (value parsed as YAML)")
    return parser.parse_args(argv)


def _show_progress() -> None:
    """Print what the notebook prints (its progress lines) as it runs: papermill logs cell output at INFO."""
    import logging

    logger = logging.getLogger("papermill")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(lambda record: record.getMessage().strip() != ""
                          and not record.getMessage().lstrip().startswith(("Executing", "Ending Cell")))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    _show_progress()
    parameters = {name: yaml.safe_load(value) for name, value in args.parameter}
    try:
        run_notebook(args.source, args.output, parameters)
    except (NotebookFailed, FileNotFoundError, runs.RunBusy) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
