#!/usr/bin/env python3
"""Writes Tests/ModelingTests/Fixtures/ets_statsforecast.json: ETS and Theta fits by statsforecast.

statsforecast's ets_f (the engine of its AutoETS) fits small daily series with a weekly season:
for each series, fixed models (ANN, AAdN, ANA, AAA, AAdA, MNM, MAdM) and the automatic choice
by AICc. The fixture records the series, statsforecast's starting state (initstate), its -2
log-likelihood at the starting parameters and at the fitted ones, the fitted parameters and
initial state, the AICc, the chosen model, and one-step forecasts over days the fit did not see
(forward: the state updated by each day, no refit), which Tinycast's ExponentialSmoothing must
reproduce (Tests/ModelingTests/ExponentialSmoothingTests.swift). For the standard theta method
(auto_theta, model STM) it records the seasonality test's verdict and indices, the line, the
fitted alpha and starting level, the level after the last day and the next day's forecast
(Tests/ModelingTests/ThetaTests.swift).

    usage: python3 tools/make_ets_fixture.py
    needs: pip install statsforecast (numpy comes with it)
"""
import json
import os

import numpy as np
from statsforecast import ets, theta


def series(kind, n, rng):
    t = np.arange(n)
    week = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.3, 0.9])
    if kind == "multiplicative":
        level = 40 + 0.05 * t
        return np.round(level * week[t % 7] * (1 + 0.08 * rng.standard_normal(n)), 2)
    if kind == "additive":
        return np.round(20 + 6 * (week[t % 7] - 1) * 10 + 2.5 * rng.standard_normal(n), 2)
    if kind == "intermittent":
        # Whole units with zero days: only additive models apply.
        return np.maximum(0, np.round(3 + 2 * (week[t % 7] - 1) * 5 + 2 * rng.standard_normal(n)))
    raise ValueError(kind)


def fit_fixed(y, code, m):
    error, trend, season = code[0], code[1], code[-1]
    damped = "Ad" in code
    return ets.ets_f(y, m, model=error + trend + season, damped=damped)


def record_fit(y, fit, m):
    par = fit["par"]
    return {
        "model": fit["components"],
        "alpha": float(par[0]),
        "beta": None if np.isnan(par[1]) else float(par[1]),
        "gamma": None if np.isnan(par[2]) else float(par[2]),
        "phi": None if np.isnan(par[3]) else float(par[3]),
        "initial_state": [float(v) for v in par[4:]],
        "likelihood": float(-2 * fit["loglik"]),
        "aicc": float(fit["aicc"]),
    }


def main():
    rng = np.random.default_rng(20261202)
    m = 7
    cases = []
    for kind in ["multiplicative", "additive", "intermittent"]:
        full = series(kind, 154, rng)
        y, extra = full[:126], full[126:]
        case = {"kind": kind, "season": m, "y": [float(v) for v in y], "extra": [float(v) for v in extra], "fits": []}
        codes = ["ANN", "AAdN", "ANA", "AAA", "AAdA"]
        if y.min() > 0:
            codes += ["MNM", "MAdM"]
        for code in codes:
            error, trend, season = code[0], code[1], code[-1]
            damped = "Ad" in code
            # The starting state and the likelihood there, as etsmodel computes them.
            init = ets.initstate(y, m if season != "N" else 1, trend, season)
            fit = fit_fixed(y, code, m)
            entry = record_fit(y, fit, m)
            entry["code"] = code
            entry["start_state"] = [float(v) for v in init]
            cases_lik = ets.pegelsresid_C(
                y, m if season != "N" else 1, np.asarray(fit["par"][4:]), error, trend, season, damped,
                fit["par"][0], fit["par"][1], fit["par"][2], fit["par"][3], 3)
            entry["likelihood_recomputed"] = float(cases_lik[3])
            entry["fitted"] = [float(v) for v in fit["fitted"]]
            case["fits"].append(entry)
        auto = ets.ets_f(y, m)
        forward = ets.ets_f(full, m, model=auto)
        case["auto"] = record_fit(y, auto, m)
        case["auto"]["method"] = auto["method"]
        case["auto"]["forecasts"] = [float(v) for v in forward["fitted"][len(y):]]
        stm = theta.auto_theta(y, m, model="STM")
        seasons = stm["seas_forecast"]["mean"] if stm.get("decompose", False) else []
        case["theta"] = {
            "decompose": bool(stm.get("decompose", False)),
            "decomposition": stm.get("decomposition_type", "none"),
            # the indices of the m days after y (phases n % m, n % m + 1, ...)
            "next_indices": [float(v) for v in seasons],
            "alpha": float(stm["par"]["alpha"]),
            "initial_smoothed": float(stm["par"]["initial_smoothed"]),
            "an": float(stm["states"][0, 2]),
            "bn": float(stm["states"][0, 3]),
            "last_level": float(stm["states"][-1, 0]),
            "mse": float(stm["mse"]),
            "forecast": float(theta.forecast_theta(stm, h=1)["mean"][0]),
        }
        cases.append(case)
    out = os.path.join(os.path.dirname(__file__), "..", "Tests", "ModelingTests", "Fixtures", "ets_statsforecast.json")
    import statsforecast
    with open(out, "w") as f:
        json.dump({"source": f"statsforecast {statsforecast.__version__} ets_f", "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
