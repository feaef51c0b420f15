"""What README.md says about the results is what the committed results hold."""

from __future__ import annotations

import re

import pytest

from analysis import paths, runs, summary

README = paths.ROOT / "README.md"
SUMMARY = paths.ROOT / "data" / "derived" / "summary.json"


def test_readme_results_block_matches_the_committed_summary():
    if not SUMMARY.exists():
        pytest.skip("no committed results yet")
    text = README.read_text()
    block = text.split(summary.README_START, 1)[1].split(summary.README_END, 1)[0].strip()
    assert block == summary.readme_results(runs.read_json(SUMMARY))


def test_readme_quotes_no_result_numbers_outside_its_results_block():
    """χ², Ea, D and σ values typed into the prose go stale when a run is added: only the generated block has them."""
    text = README.read_text()
    outside = text.split(summary.README_START)[0] + text.split(summary.README_END)[1]
    assert not re.findall(r"χ²[^|\n]{0,20}?\d+\.\d", outside)
    assert not re.findall(r"Ea\s*=?\s*0\.\d{2}", outside)
    assert not re.findall(r"\d\.\d+\s*[×x]\s*10⁻\d\s*cm²/s", outside)
    assert not re.findall(r"\d+\s*mS/cm", outside)
