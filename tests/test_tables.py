"""Tables as notebooks show them (analysis.tables)."""

from __future__ import annotations

import pandas as pd

from analysis import tables


def test_compact_keeps_the_named_columns_and_three_significant_figures():
    frame = pd.DataFrame([{"temperature_K": 300, "D_cm2_s": 5.931234e-07, "chi2_red": float("nan"), "name": "md-T300",
                           "ok": True, "extra": 1.0}, {"temperature_K": 600, "D_cm2_s": -1.23456, "chi2_red": 2.0,
                                                       "name": "md-T600", "ok": False, "extra": 2.0}])
    table = tables.compact(frame, ["temperature_K", "D_cm2_s", "chi2_red", "name", "ok", "missing"])
    shown = table.frame
    assert list(shown.columns) == ["temperature_K", "D_cm2_s", "chi2_red", "name", "ok"]
    assert shown.to_dict(orient="records") == [
        {"temperature_K": 300, "D_cm2_s": "5.93e−07", "chi2_red": "—", "name": "md-T300", "ok": True},
        {"temperature_K": 600, "D_cm2_s": "−1.23", "chi2_red": "2", "name": "md-T600", "ok": False}]
    assert list(tables.compact({"Ea_eV": 0.158618, "n": 6}).frame.iloc[0]) == ["0.159", 6]
    lines = repr(table).splitlines()  # shown in one block, without the index
    assert len(lines) == 3 and lines[0].split() == ["temperature_K", "D_cm2_s", "chi2_red", "name", "ok"]
    assert lines[1].split() == ["300", "5.93e−07", "—", "md-T300", "True"] and "<table" in table._repr_html_()


def test_a_record_reads_as_quantity_and_value_rows_scalars_only():
    shown = repr(tables.fields({"rmse_meV_A": 30.534078, "status": "done", "per_element": {"Li": 1.0}, "speed": None},
                               ["status", "rmse_meV_A", "speed", "missing"]))
    assert shown.split() == ["quantity", "value", "status", "done", "rmse_meV_A", "30.5", "speed", "—"]
