"""The pre-training decision rule (analysis.pretraining.decide), on hand-made tables: it can adopt, refuse, keep."""

from __future__ import annotations

import pandas as pd

from analysis import pretraining


def _table(rows):
    return pd.DataFrame([{"architecture": a, "kind": "fine-tuned", "run_name": f"ft-{a}", "test_force_rmse_meV_per_A": e,
                          "ns_per_day_per_core": v} for a, e, v in rows])


def _screens(temps_failed_broken):
    return pd.DataFrame([{"temperature_K": T, "failed": f, "broken_PS4_fraction": b} for T, f, b in temps_failed_broken])


PRODUCTION = {"run_name": "train-prod", "test_force_rmse_meV_per_A": 30.5}


def test_the_fastest_candidate_that_passes_is_adopted():
    table = _table([("slow", 30.0, 2.0), ("fast", 31.0, 4.0), ("fastest", 35.0, 6.0)])
    clean = _screens([(600, False, 0.0), (700, True, 0.2)])  # failures above 600 K do not count
    d = pretraining.decide(table, {"ft-slow": clean, "ft-fast": clean, "ft-fastest": clean}, PRODUCTION)
    assert d["adopted"] == "ft-fast" and not d["kept_production"]
    verdict = {v["run_name"]: v for v in d["verdicts"]}
    assert verdict["ft-fastest"]["reasons"] == ["test force RMSE 35.0 > 32 meV/Å"]


def test_failure_or_broken_ps4_at_600_K_or_no_screens_keep_the_production_model():
    table = _table([("a", 30.0, 2.0), ("b", 30.0, 3.0), ("c", 30.0, 4.0)])
    screens = {"ft-a": _screens([(600, True, 0.0)]), "ft-b": _screens([(600, False, 0.05)]), "ft-c": pd.DataFrame()}
    d = pretraining.decide(table, screens, PRODUCTION)
    assert d["adopted"] is None and d["kept_production"] and d["production_model"] == "train-prod"
    reasons = {v["run_name"]: " ".join(v["reasons"]) for v in d["verdicts"]}
    assert "1 of 1 screens at ≤ 600 K failed" in reasons["ft-a"]
    assert "broken PS4" in reasons["ft-b"] and "no screens" in reasons["ft-c"]


def test_between_equally_fast_candidates_the_more_accurate_is_adopted():
    """One architecture fine-tuned with two budgets runs at one speed: the rule takes the lower force error."""
    table = _table([("short", 31.5, 1.5), ("long", 29.0, 1.5)])
    clean = _screens([(600, False, 0.0)])
    d = pretraining.decide(table, {"ft-short": clean, "ft-long": clean}, PRODUCTION)
    assert d["adopted"] == "ft-long"
