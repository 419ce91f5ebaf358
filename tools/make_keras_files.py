#!/usr/bin/env python3
"""Generates the Keras model files `load keras` reads (issue 18) and Keras' own forecasts with them,
on every test window of Tinycast's built-in demo data:

  Tests/ShellTests/KerasFiles/lstm64.keras, lstm64.h5    Keras' LSTM(64) -> Dropout -> Dense(1)
  Tests/ShellTests/KerasFiles/gru8x2.keras, gru8x2.h5    GRU(8, return_sequences) -> GRU(8) -> Dense(1)
  Tests/ShellTests/KerasFiles/forecasts.json            Keras' forecast (sales) for each test window

The weights are Keras' own initial ones, seeded, then two epochs of Adam on the demo training
windows, so the forecasts are those of a real, if brief, model. The windows come from the demo
data as Tinycast writes and cuts it: the tinycast binary saves the data (`save data`), and a
`predict` lists the test windows and the export the scaler, so this script cuts nothing itself.

Run:  swift build -c release && pip install tensorflow-cpu && python3 tools/make_keras_files.py [TINYCAST]
The tests read only the files; TensorFlow is never needed to run them.
"""
import csv
import datetime
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "ShellTests", "KerasFiles")
LOOKBACK = 14


def demo_windows(tinycast):
    """The demo data's sales, its test windows (store, item, date) and its scaler, from Tinycast."""
    work = tempfile.mkdtemp()
    session = os.path.join(work, "s.tcs")
    with open(session, "w") as f:
        f.write("load demo\nsave data demo.csv\ntrain units=1 epochs=1 runs=1 seed=1 as probe\n"
                "export probe to=probe.json format=keras\npredict probe to=probe.csv\n")
    subprocess.run([tinycast, "run", session, "--allow-write", "ANYWHERE"], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    sales = {}
    with open(os.path.join(work, "demo.csv")) as f:
        for row in csv.DictReader(f):
            sales[(row["store"], row["item"], row["date"])] = float(row["sales"])
    with open(os.path.join(work, "probe.csv")) as f:
        test = [(r["store"], r["item"], r["date"]) for r in csv.DictReader(f)]
    scaler = json.load(open(os.path.join(work, "probe.json")))["scaler"]
    return sales, test, scaler["offset"], scaler["factor"]


def window(sales, store, item, date):
    day = datetime.date.fromisoformat(date)
    return [sales[(store, item, str(day - datetime.timedelta(days=LOOKBACK - t)))] for t in range(LOOKBACK)]


def training_windows(sales, test, offset, factor):
    """Every window whose target falls before the first test day, scaled."""
    first_test = min(d for _, _, d in test)
    series = sorted({(s, i) for s, i, _ in sales})
    xs, ys = [], []
    for s, i in series:
        days = sorted(d for (ss, ii, d) in sales if (ss, ii) == (s, i) and d < first_test)
        for d in days[LOOKBACK:]:
            xs.append([(v - offset) * factor for v in window(sales, s, i, d)])
            ys.append((sales[(s, i, d)] - offset) * factor)
    return np.array(xs, dtype=np.float32)[..., None], np.array(ys, dtype=np.float32)


def build(kind):
    inp = tf.keras.Input(shape=(LOOKBACK, 1))
    if kind == "lstm64":
        h = tf.keras.layers.LSTM(64, name="lstm")(inp)
    else:
        h = tf.keras.layers.GRU(8, return_sequences=True, name="gru")(inp)
        h = tf.keras.layers.GRU(8, name="gru_1")(h)
    h = tf.keras.layers.Dropout(0.2, name="dropout")(h)
    return tf.keras.Model(inp, tf.keras.layers.Dense(1, name="dense")(h))


def main():
    tinycast = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "tinycast")
    sales, test, offset, factor = demo_windows(tinycast)
    x_train, y_train = training_windows(sales, test, offset, factor)
    x_test = np.array([[(v - offset) * factor for v in window(sales, *w)] for w in test], dtype=np.float32)[..., None]
    os.makedirs(OUT, exist_ok=True)
    # The windows in predict's order; the first and last name it, so a test sees a changed cut.
    forecasts = {"generator": "tools/make_keras_files.py", "tensorflow": tf.__version__, "windows": len(test),
                 "first": list(test[0]), "last": list(test[-1]), "models": {}}
    for kind in ["lstm64", "gru8x2"]:
        tf.keras.utils.set_random_seed(7)
        model = build(kind)
        model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="mse")
        model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=0)
        model.save(os.path.join(OUT, f"{kind}.keras"))
        model.save(os.path.join(OUT, f"{kind}.h5"))
        y = model.predict(x_test, verbose=0, batch_size=1024)[:, 0].astype(np.float64) / factor + offset
        forecasts["models"][kind] = [float(f"{v:.9g}") for v in y]
        actual = np.array([sales[w] for w in test])
        mape = np.mean(np.abs(y - actual)[actual > 0] / actual[actual > 0]) * 100
        print(f"wrote {kind}.keras and {kind}.h5: test MAPE {mape:.2f}")
    with open(os.path.join(OUT, "forecasts.json"), "w") as f:
        json.dump(forecasts, f, separators=(",", ":"))
    unsupported()


def unsupported():
    """Small files Tinycast must refuse in one line (the bad-input corpus): an LSTM with a relu
    activation, a model with a second input, and weights saved without their architecture."""
    bad = os.path.join(ROOT, "Tests", "ShellTests", "BadInputs", "data")
    tf.keras.utils.set_random_seed(7)
    relu = tf.keras.Sequential([tf.keras.Input(shape=(LOOKBACK, 1)), tf.keras.layers.LSTM(2, activation="relu"),
                                tf.keras.layers.Dense(1)])
    relu.save(os.path.join(bad, "relu-lstm.keras"))
    a, b = tf.keras.Input(shape=(LOOKBACK, 1)), tf.keras.Input(shape=(LOOKBACK, 1))
    two = tf.keras.Model([a, b], tf.keras.layers.Dense(1)(tf.keras.layers.LSTM(2)(
        tf.keras.layers.Concatenate()([a, b]))))
    two.save(os.path.join(bad, "two-inputs.h5"))
    relu.save_weights(os.path.join(bad, "weights-only.weights.h5"))


if __name__ == "__main__":
    main()
