"""The hand-in (analysis.handin): every executed study notebook as .ipynb and PDF, the report, an index."""

from __future__ import annotations

import json

import pytest

from analysis import handin, paths, plan


def test_handin_holds_every_executed_notebook_as_ipynb_and_pdf(tmp_path):
    shown = plan.load(paths.ROOT / "study" / "plan.toml")["handin"]["md_run"]  # notebook 4's run
    sources = handin.notebook_sources(paths.ROOT / "data", shown)
    if not sources:
        pytest.skip("no committed study notebooks")
    assert {"01_dataset", "02_train", "04_md", "06_diffusion"} <= set(sources)
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.pdf").write_bytes((paths.REPORT_DIR / "_output" / "report.pdf").read_bytes())
    out = tmp_path / "handin"
    written = handin.make_handin(out, report, paths.ROOT / "data", md_run=shown)
    for name, (notebook, _) in sources.items():
        copy = out / f"{name}.ipynb"
        assert json.loads(copy.read_text())["cells"] == json.loads(notebook.read_text())["cells"]
        pdf = (out / f"{name}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 10_000
    index = (out / "index.md").read_text()
    assert all(f"{name}.pdf" in index for name in sources) and "report.pdf" in index
    assert out / "report.pdf" in written
    # notebook 4 is the run the plan names ([handin] md_run); one that has no executed notebook is not shown
    assert sources["04_md"][0] == paths.ROOT / "data" / "runs" / shown / "notebook.ipynb"
    other = handin.notebook_sources(paths.ROOT / "data", "md-T400-seed1")["04_md"]
    assert other == (paths.ROOT / "data" / "runs" / "md-T400-seed1" / "notebook.ipynb", "one production MD run (md-T400-seed1)")
    assert "04_md" not in handin.notebook_sources(paths.ROOT / "data", "md-T999-seed1")


def test_notebook_pdf_carries_the_discussion_text(tmp_path):
    """The PDF is the notebook, prose included: the discussion heading of notebook 6 is in the Typst source."""
    import subprocess

    import pypandoc

    notebook = paths.ROOT / "data" / "derived" / "notebooks" / "06_diffusion.ipynb"
    if not notebook.exists():
        pytest.skip("no committed notebook 6")
    typ = subprocess.run([pypandoc.get_pandoc_path(), str(notebook), "--from", "ipynb", "--to", "typst"],
                         capture_output=True, text=True, check=True).stdout
    assert "Discussion" in typ
    assert handin.notebook_pdf(notebook, tmp_path / "05.pdf").stat().st_size > 10_000


def test_one_number_one_source_in_the_notebooks_and_the_report():
    """Values quoted both in an executed notebook's discussion and in the report come from the same function:
    the committed notebooks show exactly the report's strings."""
    summary_file = paths.ROOT / "data" / "derived" / "summary.json"
    if not summary_file.exists():
        pytest.skip("no committed results")
    from analysis import report_values

    values = report_values.variables(json.loads(summary_file.read_text()))

    def discussion(path):  # the notebook's Markdown answers, line breaks as spaces
        cells = json.loads(path.read_text())["cells"]
        return " ".join("".join("".join(o.get("data", {}).get("text/markdown", ""))
                                for c in cells for o in c.get("outputs", [])).split())

    notebooks = paths.ROOT / "data" / "derived" / "notebooks"
    diffusion = discussion(notebooks / "06_diffusion.ipynb")
    for phrase in (f"is {values['sigma_ratio']}× the measured one",
                   f"{values['Ea_gap_meV']} meV {values['Ea_gap_comparative']}",
                   f"D at 300 K {values['Ea_gap_effect']}, leaving a factor {values['sigma_rest']} in σ"):
        assert phrase in diffusion, phrase
    # the measured Haven ratios, the tenfold-data factor, and a stopped run's time (the events table's ps of production)
    assert f"H_R = {values['haven_lo']}–{values['haven_hi']}" in diffusion
    assert f"scale the force RMSE by {values['lc_tenfold_factor']}" in discussion(notebooks / "03_learning_curve.ipynb")
    summary = json.loads(summary_file.read_text())
    for event in (e for e in summary["committee"]["production_events"] if e["stopped_ps"] is not None):
        # (a run stopped before production: 0 ps of production, quoted as "in equilibration")
        early = event["stopped_in_equilibration"]
        quoted = "in equilibration" if early else f"{event['stopped_ps']:g} ps into production"
        cell = "in equilibration" if early else f"{event['stopped_ps']:g}"
        assert f"| {cell} (" in report_values.tables(summary)["events"]  # the report's table
        for name in ("05_committee.ipynb", "06_diffusion.ipynb", "07_stability.ipynb"):
            text = discussion(notebooks / name)
            if event["run_name"] in text:
                assert quoted in text, (name, quoted)
    md = discussion(paths.ROOT / "data" / "runs" / plan.load(paths.ROOT / "study" / "plan.toml")["handin"]["md_run"]
                    / "notebook.ipynb")
    for phrase in (f"takes {values['bench_dft_cpu_s']} CPU-seconds", f"the MACE model {values['bench_mlip_ms']} ms",
                   f"{values['bench_speedup']} times less", f"at least {values['bench_aimd_100ps_days']} CPU-days"):
        assert phrase in md, phrase


def test_markdown_answers_become_cells_the_pdf_shows():
    """pandoc's Typst writer drops text/markdown outputs: the hand-in moves them into Markdown cells."""
    nb = {"cells": [{"cell_type": "code", "source": "Markdown(f'...')", "metadata": {}, "outputs": [
        {"output_type": "execute_result", "data": {"text/markdown": "**D = 3e-6 cm²/s**",
                                                   "text/plain": "<IPython.core.display.Markdown object>"}},
        {"output_type": "stream", "name": "stdout", "text": "progress"}]}]}
    out = handin._markdown_outputs_only(nb)
    assert [c["cell_type"] for c in out["cells"]] == ["code", "markdown"]
    assert out["cells"][1]["source"] == "**D = 3e-6 cm²/s**"
    assert out["cells"][0]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "progress"}]
    assert "Markdown(f'...')" not in out["cells"][0]["source"]  # the answer's code is not printed before it
    nb["cells"][0]["outputs"].pop()  # an answer alone: no code cell at all
    assert [c["cell_type"] for c in handin._markdown_outputs_only(nb)["cells"]] == ["markdown"]


def test_answers_are_printed_with_minus_signs_and_subscripts_but_names_and_ranges_kept():
    text = "Ea changed by -15 % (-0.03 eV), slope N^-0.18; md-T600-seed1, 1.2e-06 cm²/s, 10-160 frames, PS4 units"
    assert handin._typeset(text) == ("Ea changed by −15 % (−0.03 eV), slope N^−0.18; md-T600-seed1, 1.2e-06 cm²/s, "
                                     "10-160 frames, PS₄ units")


def test_the_pdf_leaves_out_warnings_and_shortens_long_logs():
    log = "".join(f"committee: {k}/24 md-T{k}-seed1 (kept)\n" for k in range(24))
    nb = {"cells": [{"cell_type": "code", "source": "x", "metadata": {}, "outputs": [
        {"output_type": "stream", "name": "stderr", "text": "/x/site-packages/torch/a.py:1: UserWarning: ...\n"},
        *[{"output_type": "stream", "name": "stdout", "text": line} for line in log.splitlines(keepends=True)],
        {"output_type": "execute_result", "data": {"text/plain": "table"}}]},
        {"cell_type": "markdown", "source": "prose", "metadata": {}}]}
    cells = handin._markdown_outputs_only(nb)["cells"]
    kept = cells[0]["outputs"]
    assert [o["output_type"] for o in kept] == ["stream", "execute_result"]  # the warning is gone
    text = kept[0]["text"].splitlines()
    assert text[0] == "committee: 0/24 md-T0-seed1 (kept)" and text[-1] == "committee: 23/24 md-T23-seed1 (kept)"
    assert "[... 12 lines, in the .ipynb ...]" in text and len(text) == 13
    assert cells[1] == nb["cells"][1]  # a Markdown cell passes unchanged
