#!/usr/bin/env python3
"""Writes Tests/ModelingTests/Fixtures/linear_ridge.json: a reference fit of the linear
autoregression's ridge least squares, by numpy (numpy.linalg.lstsq on the augmented system), for
Tinycast's own normal-equation solver to match.

    minimise  sum_n (b + w . x_n - y_n)^2 + ridge * N * |w|^2      (the bias is not penalised)

The rows are float32 values (as Tinycast's scaled windows are), generated from a fixed seed.
    usage: python3 tools/make_linear_fixture.py   (needs numpy)
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20261202)
cases = []
for n, p, ridge in [(160, 14, 0.0), (160, 14, 1e-4), (80, 7, 0.05), (40, 28, 0.01)]:
    x = rng.uniform(0, 1, size=(n, p)).astype(np.float32)
    true_w = rng.normal(0, 0.3, size=p)
    y = (x.astype(np.float64) @ true_w + 0.1 + rng.normal(0, 0.05, size=n)).astype(np.float32)
    # Ridge as an augmented least-squares problem: sqrt(ridge N) I rows for the weights only.
    a = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    penalty = np.hstack([np.sqrt(ridge * n) * np.eye(p), np.zeros((p, 1))])
    a_aug = np.vstack([a, penalty])
    y_aug = np.concatenate([y.astype(np.float64), np.zeros(p)])
    solution, *_ = np.linalg.lstsq(a_aug, y_aug, rcond=None)
    cases.append({
        "ridge": ridge,
        # float32 values written with the 9 significant digits that read back to the same float.
        "rows": [[float(f"{v:.9g}") for v in row] for row in x],
        "targets": [float(f"{v:.9g}") for v in y],
        "weights": [float(v) for v in solution[:p]],
        "bias": float(solution[p]),
    })

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "ModelingTests", "Fixtures", "linear_ridge.json")
with open(path, "w") as f:
    json.dump({"generator": "tools/make_linear_fixture.py", "cases": cases}, f)
print("wrote", os.path.normpath(path))
