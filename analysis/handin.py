"""The practical's hand-in: every study notebook, executed, as ``.ipynb`` and PDF, plus the report, in one folder.

    python -m analysis.handin --out handin        # make handin

Nothing is executed here: the notebooks are the ones the study ran (aggregate notebooks in
``derived/notebooks/``; notebooks 2 and 4 are the production training run's and one production MD run's, which
``make study`` executes again on the finished runs so that their answers follow the current notebooks). Each is converted with the engines the report already uses: pandoc's own ``ipynb`` reader to Typst, then
Typst to PDF. The folder gets an ``index.md`` that lists what is in it and what each notebook answers.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from analysis import paths

# (file name in the hand-in, what it is) -> where the executed notebook lies, relative to the study folder
NOTEBOOKS = {
    "01_dataset": ("derived/notebooks/01_dataset.ipynb", "the DFT data: what the 200 configurations sample"),
    "02_train": ("derived/notebooks/02_train.ipynb", "training and validating the production MACE model"),
    "03_learning_curve": ("derived/notebooks/03_learning_curve.ipynb", "learning curve: error against data"),
    "04_md": ("runs/{md_run}/notebook.ipynb", "one production MD run ({md_run})"),
    "05_committee": ("derived/notebooks/05_committee.ipynb", "committee monitor: how far MD leaves the data"),
    "06_diffusion": ("derived/notebooks/06_diffusion.ipynb", "diffusion coefficients and the Arrhenius fit"),
    "07_stability": ("derived/notebooks/07_stability.ipynb", "MD stability of candidate models"),
    "08_architecture": ("derived/notebooks/08_architecture.ipynb", "accuracy against speed of architectures"),
    "09_pretraining": ("derived/notebooks/09_pretraining.ipynb", "synthetic pre-training on a teacher's labels"),
}


DEFAULT_MD_RUN = "md-T500-seed1"  # notebook 4's run when the plan names none ([handin] md_run, make's HANDIN_MD_RUN)


def notebook_sources(study: Path | None = None, md_run: str = DEFAULT_MD_RUN) -> dict[str, tuple[Path, str]]:
    """The executed notebook of each study notebook that exists, with its description (notebook 4: ``md_run``'s)."""
    study = Path(study or paths.study_dir())
    named = {name: (relative.format(md_run=md_run), what.format(md_run=md_run))
             for name, (relative, what) in NOTEBOOKS.items()}
    return {name: (study / relative, what) for name, (relative, what) in named.items() if (study / relative).exists()}


# code and printed tables a little smaller than the prose, so that a table of about 100 characters keeps its rows
CODE_SIZE_RULE = "#show raw.where(block: true): set text(size: 7pt)\n"
STREAM_LINES_KEPT = 6  # of a long progress log (stdout) in the PDF: the first and the last lines


def _markdown_outputs_only(nb: dict) -> dict:
    """The notebook as its PDF shows it: every output that has a Markdown form (the discussion's answers) moved
    into a Markdown cell after its code cell (pandoc's Typst writer drops ``text/markdown`` outputs and would print
    ``<IPython.core.display.Markdown object>``); warnings (stderr) left out and long progress logs shortened to
    their first and last lines. The .ipynb beside the PDF keeps everything."""
    cells = []
    for cell in nb.get("cells", []):
        answers = [_typeset("".join(out["data"]["text/markdown"])) for out in cell.get("outputs", [])
                   if "text/markdown" in out.get("data", {})]
        outputs = [_shortened(out) for out in _merged_streams(cell.get("outputs", []))
                   if "text/markdown" not in out.get("data", {})
                   and not (out.get("output_type") == "stream" and out.get("name") == "stderr")]
        if "outputs" in cell:
            cell = {**cell, "outputs": outputs}
        if answers:  # the code that writes an answer from the results: in the .ipynb, not printed before the answer
            cell = {**cell, "source": "# the code that writes the answer below from the results is in the .ipynb"}
            if not outputs:
                cell = None
        cells += [cell] if cell else []
        cells += [{"cell_type": "markdown", "metadata": {}, "source": text} for text in answers]
    return {**nb, "cells": cells}


def _typeset(markdown: str) -> str:
    """An answer as printed: a minus sign, not a hyphen, before a number ("−0.19", "(−15 %)"; not in names such as
    md-T600 or 1.2e-06, nor in ranges such as 10-160), and PS₄ with its subscript."""
    text = re.sub(r"(?<![\w.\-/])-(?=\d)", "−", markdown)
    return re.sub(r"\bPS4\b", "PS₄", text)


def _merged_streams(outputs: list[dict]) -> list[dict]:
    """Consecutive stream outputs of one stream (a progress line per print) as one output, so that a long progress
    log is shortened as a whole."""
    merged: list[dict] = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (last is not None and out.get("output_type") == "stream" == last.get("output_type")
                and out.get("name") == last.get("name")):
            text = [("".join(o["text"]) if isinstance(o["text"], list) else o["text"]) for o in (last, out)]
            merged[-1] = {**last, "text": text[0] + text[1]}
        else:
            merged.append(out)
    return merged


def _shortened(output: dict) -> dict:
    if output.get("output_type") != "stream":
        return output
    text = output.get("text", "")
    lines = ("".join(text) if isinstance(text, list) else text).splitlines(keepends=True)
    if len(lines) <= 2 * STREAM_LINES_KEPT:
        return output
    skipped = len(lines) - 2 * STREAM_LINES_KEPT
    return {**output, "text": "".join(lines[:STREAM_LINES_KEPT] + [f"[... {skipped} lines, in the .ipynb ...]\n"]
                                      + lines[-STREAM_LINES_KEPT:])}


def notebook_pdf(notebook: Path, pdf: Path) -> Path:
    """``notebook`` (.ipynb) to PDF: pandoc's ipynb reader to Typst, Typst to PDF (figures extracted on the way)."""
    import pypandoc
    import typst

    with tempfile.TemporaryDirectory() as tmp:
        typ = Path(tmp) / "notebook.typ"
        source = Path(tmp) / "notebook.ipynb"
        source.write_text(json.dumps(_markdown_outputs_only(json.loads(notebook.read_text()))))
        subprocess.run([pypandoc.get_pandoc_path(), str(source), "--from", "ipynb", "--to", "typst",
                        "--standalone", "--extract-media", "media", "--variable", "papersize=a4",
                        "--output", str(typ)], cwd=tmp, check=True, capture_output=True)
        typ.write_text(CODE_SIZE_RULE + typ.read_text())
        pdf.write_bytes(typst.compile(str(typ), root=tmp, timestamp=0))
    return pdf


def make_handin(out: Path, report_dir: Path | None = None, study: Path | None = None,
                md_run: str = DEFAULT_MD_RUN) -> list[Path]:
    """Copy each executed notebook into ``out``, convert it to PDF, add the report PDF and an index."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sources = notebook_sources(study, md_run)
    if not sources:
        raise FileNotFoundError(f"{study or paths.study_dir()}: no executed notebooks (run make study first)")
    written, lines = [], ["# Hand-in: the LiPS diffusion study", "",
                          "Each study notebook as it ran, with its discussion answers, as `.ipynb` and as PDF; "
                          "then the report.", "", "| notebook | what it answers | files |", "| --- | --- | --- |"]
    for k, (name, (notebook, what)) in enumerate(sources.items(), 1):
        target = out / f"{name}.ipynb"
        shutil.copyfile(notebook, target)
        pdf = notebook_pdf(target, out / f"{name}.pdf")
        written += [target, pdf]
        lines.append(f"| {name} | {what} | [{target.name}]({target.name}), [{pdf.name}]({pdf.name}) |")
        print(f"handin: {k}/{len(sources)} {name} -> {pdf.name}", flush=True)
    report = Path(report_dir or paths.REPORT_DIR / "_output") / "report.pdf"
    if report.exists():
        shutil.copyfile(report, out / "report.pdf")
        written.append(out / "report.pdf")
        lines += ["", "The report: [report.pdf](report.pdf) (`report/report.qmd`, rendered by `make render`)."]
    else:
        lines += ["", f"No report yet ({report} is missing): run `make render`."]
    (out / "index.md").write_text("\n".join(lines) + "\n")
    return written + [out / "index.md"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=paths.ROOT / "handin")
    parser.add_argument("--report", type=Path, default=None, help="folder with the rendered report.pdf")
    parser.add_argument("--md-run", default=DEFAULT_MD_RUN, help="the MD run whose notebook 4 is shown")
    args = parser.parse_args(argv)
    try:
        files = make_handin(args.out, args.report, md_run=args.md_run)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}/index.md: {len(files) - 1} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
