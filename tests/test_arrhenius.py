"""Arrhenius fit and Nernst–Einstein conductivity (analysis.arrhenius): known answers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import arrhenius


def series(Ea_eV=0.25, D0=1e-3, temps=(500, 600, 700, 800, 900)):
    T = np.array(temps, dtype=float)
    return T, D0 * np.exp(-Ea_eV / (arrhenius.KB_EV_PER_K * T))


def test_exact_series_returns_its_parameters():
    T, D = series()
    fit = arrhenius.fit(T, D, 0.05 * D)
    assert fit["Ea_eV"] == pytest.approx(0.25, rel=1e-9)
    assert fit["D0_cm2_s"] == pytest.approx(1e-3, rel=1e-9)
    D300, err = arrhenius.extrapolate(fit, 300.0)
    assert D300 == pytest.approx(1e-3 * np.exp(-0.25 / (arrhenius.KB_EV_PER_K * 300)), rel=1e-9)
    assert err > 0


def test_noisy_series_recovers_parameters_within_errors():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(200):
        T, D = series()
        noisy = D * np.exp(rng.normal(0, 0.1, len(D)))
        fit = arrhenius.fit(T, noisy, 0.1 * noisy)
        hits += abs(fit["Ea_eV"] - 0.25) < fit["Ea_err_eV"]
    assert 0.55 < hits / 200 < 0.85  # a 1σ error bar covers the truth about 68 % of the time


def test_overdispersed_points_widen_the_error():
    T, D = series()
    D_bad = D * np.array([1.0, 1.5, 0.7, 1.4, 0.8])
    tight = arrhenius.fit(T, D_bad, 0.01 * D_bad)
    assert tight["chi2_red"] > 1
    # the error reflects the scatter, not the (far too small) stated error bars
    assert tight["Ea_err_eV"] > 0.02


def test_fit_refuses_nonsense():
    with pytest.raises(ValueError, match="at least 2"):
        arrhenius.fit([600.0], [1e-5], [1e-6])
    with pytest.raises(ValueError, match="positive"):
        arrhenius.fit([600.0, 700.0], [1e-5, -1e-5], [1e-6, 1e-6])


def test_nernst_einstein_against_hand_calculation():
    # 27 Li in 1676 Å³, D = 1e-6 cm²/s at 300 K: n = 1.611e22 cm⁻³,
    # σ = n e² D / kT = 1.611e22 * (1.602e-19)² * 1e-6 / (1.381e-23 * 300) = 0.0997 S/cm
    sigma = arrhenius.nernst_einstein_conductivity(1e-6, 27, 1676.0, 300.0)
    assert sigma == pytest.approx(0.0997, rel=2e-3)
    assert arrhenius.nernst_einstein_conductivity(1e-6, 27, 1676.0, 300.0, haven_ratio=0.5) == pytest.approx(2 * sigma)


def test_leave_one_out_finds_the_point_that_moves_ea():
    T, D = series()
    D[0] *= 3.0  # the coldest point too fast, as a not-yet-diffusive MSD would make it
    loo = arrhenius.leave_one_out(T, D, 0.05 * D)
    assert [r["left_out_K"] for r in loo] == list(T)
    assert loo[0]["Ea_eV"] == pytest.approx(0.25, rel=1e-9)  # without the outlier: the true value
    assert all(r["Ea_eV"] < 0.25 for r in loo[1:])  # with it: Ea biased down
    # the other four temperatures predict the true D at the left-out one, so the outlier stands out by 3x
    assert loo[0]["D_predicted_cm2_s"] == pytest.approx(D[0] / 3.0, rel=1e-9)
    assert loo[0]["pull"] == pytest.approx(np.log(3.0) / np.hypot(0.05, loo[0]["D_predicted_err_cm2_s"]
                                                                   / loo[0]["D_predicted_cm2_s"]), rel=1e-9)
    assert loo[0]["pull"] > 5 and all(abs(r["pull"]) < abs(loo[0]["pull"]) for r in loo[1:])
    assert arrhenius.leave_one_out(T[:2], D[:2], 0.05 * D[:2]) == []


def test_leave_one_out_prediction_of_a_consistent_point_is_within_its_errors():
    rng = np.random.default_rng(1)
    T, D = series(temps=(300, 400, 450, 500, 560, 600))
    noisy = D * np.exp(rng.normal(0, 0.1, len(D)))
    coldest = arrhenius.leave_one_out(T, noisy, 0.1 * noisy)[0]
    assert coldest["left_out_K"] == 300.0
    assert abs(coldest["pull"]) < 3  # an extrapolation from 400-600 K, right within its (larger) error
    assert coldest["D_predicted_err_cm2_s"] / coldest["D_predicted_cm2_s"] > 0.1
