"""Arrhenius fit D(T) = D0 exp(-Ea / kB T), extrapolation, and Nernst–Einstein conductivity.

Units: T in K, D in cm²/s, Ea in eV, conductivity in S/cm.
"""

from __future__ import annotations

import numpy as np

KB_EV_PER_K = 8.617333262e-5
E_CHARGE_C = 1.602176634e-19
KB_J_PER_K = 1.380649e-23


def fit(temperature_K, D_cm2_s, D_err_cm2_s) -> dict:
    """Weighted least-squares fit of ln D = ln D0 - Ea/(kB T).

    Weights are 1/σ(ln D)² with σ(ln D) = D_err/D. Parameter errors come from the covariance;
    when the points scatter more than their error bars (reduced χ² > 1) the covariance is scaled
    by χ², so an over-confident error bar on one D does not make Ea look better than it is.
    """
    T = np.asarray(temperature_K, dtype=float)
    D = np.asarray(D_cm2_s, dtype=float)
    err = np.asarray(D_err_cm2_s, dtype=float)
    if len(T) < 2:
        raise ValueError(f"an Arrhenius fit needs at least 2 temperatures, got {len(T)}")
    if np.any(D <= 0) or np.any(err <= 0):
        raise ValueError("every D and its error must be positive for an Arrhenius fit")
    x = 1.0 / (KB_EV_PER_K * T)  # 1/eV
    y = np.log(D)
    sigma = err / D
    A = np.column_stack([np.ones_like(x), -x])  # y = lnD0 - Ea * x
    W = np.diag(1.0 / sigma**2)
    cov = np.linalg.inv(A.T @ W @ A)
    params = cov @ A.T @ W @ y
    residual = y - A @ params
    dof = len(T) - 2
    chi2_red = float(residual @ W @ residual / dof) if dof > 0 else float("nan")
    if dof > 0 and chi2_red > 1.0:
        cov = cov * chi2_red
    lnD0, Ea = params
    return {
        "Ea_eV": float(Ea),
        "Ea_err_eV": float(np.sqrt(cov[1, 1])),
        "lnD0": float(lnD0),
        "lnD0_err": float(np.sqrt(cov[0, 0])),
        "D0_cm2_s": float(np.exp(lnD0)),
        "D0_err_cm2_s": float(np.exp(lnD0) * np.sqrt(cov[0, 0])),
        "cov_lnD0_Ea": cov.tolist(),
        "chi2_red": chi2_red,
        "n_temperatures": int(len(T)),
        "T_range_K": [float(T.min()), float(T.max())],
    }


def leave_one_out(temperature_K, D_cm2_s, D_err_cm2_s) -> list[dict]:
    """Each temperature left out in turn: Ea (eV) and ln D0 of the refit, and its prediction of the D it left out.

    ``D_predicted_cm2_s`` ± ``D_predicted_err_cm2_s`` is the refit extrapolated (or interpolated) to the left-out
    temperature; ``pull`` = (ln D − ln D_predicted) / √(σ_ln D² + σ_ln D_predicted²), so |pull| ≲ 2 means the other
    temperatures predict that point within the errors. Needs at least 3 temperatures (each refit keeps 2 or more);
    returns [] otherwise.
    """
    T, D, err = (np.asarray(x, dtype=float) for x in (temperature_K, D_cm2_s, D_err_cm2_s))
    if len(T) < 3:
        return []
    out = []
    for i in range(len(T)):
        keep = np.arange(len(T)) != i
        r = fit(T[keep], D[keep], err[keep])
        predicted, predicted_err = extrapolate(r, T[i])
        pull = log_pull(D[i], err[i], predicted, predicted_err)
        out.append({"left_out_K": float(T[i]), "Ea_eV": r["Ea_eV"], "Ea_err_eV": r["Ea_err_eV"], "lnD0": r["lnD0"],
                    "D_cm2_s": float(D[i]), "D_err_cm2_s": float(err[i]), "D_predicted_cm2_s": predicted,
                    "D_predicted_err_cm2_s": predicted_err, "pull": float(pull)})
    return out


def log_pull(D: float, err: float, predicted: float, predicted_err: float) -> float:
    """(ln D − ln D_predicted) / √(σ_ln D² + σ_ln D_predicted²), the relative errors standing for σ_ln."""
    return float(np.log(D / predicted) / np.hypot(err / D, predicted_err / predicted))


def extrapolate(result: dict, temperature_K: float) -> tuple[float, float]:
    """D (cm²/s) and its 1σ error at ``temperature_K``, propagating the fit covariance."""
    x = 1.0 / (KB_EV_PER_K * temperature_K)
    grad = np.array([1.0, -x])
    cov = np.asarray(result["cov_lnD0_Ea"])
    lnD = result["lnD0"] - result["Ea_eV"] * x
    sigma_lnD = float(np.sqrt(grad @ cov @ grad))
    D = float(np.exp(lnD))
    return D, D * sigma_lnD


def nernst_einstein_conductivity(D_cm2_s: float, n_carriers: int, volume_A3: float,
                                 temperature_K: float, haven_ratio: float = 1.0) -> float:
    """Ionic conductivity (S/cm) from the tracer D: σ = n q² D / (H_R kB T), charge +1."""
    n_per_cm3 = n_carriers / (volume_A3 * 1e-24)
    return n_per_cm3 * E_CHARGE_C**2 * D_cm2_s / (haven_ratio * KB_J_PER_K * temperature_K)
