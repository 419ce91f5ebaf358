#!/usr/bin/env python3
"""Checks a Keras-weights export against Keras itself (interop, issue 6).

  tinycast> export lstm64 to=lstm64.json format=keras
  tinycast> predict lstm64 to=lstm64.csv
  $ python3 tools/check_keras_export.py lstm64.json lstm64.csv PATH/train.csv

Builds LSTM(units) -> Dropout -> Dense(1) in Keras, calls model.set_weights with the exported
arrays, rebuilds each forecast's input window (the `lookback` days before its date) from the CSV
of sales, and compares Keras' forecasts (inverse-scaled) with Tinycast's. Needs tensorflow-cpu.
"""
import csv
import datetime
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf


def main():
    doc = json.load(open(sys.argv[1]))
    T, H = doc["lookback"], doc["units"]
    offset, factor = doc["scaler"]["offset"], doc["scaler"]["factor"]
    model = tf.keras.Sequential([tf.keras.Input(shape=(T, 1)), tf.keras.layers.LSTM(H),
                                 tf.keras.layers.Dropout(doc.get("dropout", 0.2)), tf.keras.layers.Dense(1)])
    model.set_weights([np.array(w, dtype=np.float32) for w in doc["weights"]])
    sales = {}
    with open(sys.argv[3]) as f:
        for row in csv.DictReader(f):
            sales[(int(row["store"]), int(row["item"]), row["date"])] = float(row["sales"])
    xs, ours = [], []
    with open(sys.argv[2]) as f:
        for row in csv.DictReader(f):
            day = datetime.date.fromisoformat(row["date"])
            horizon = doc.get("horizon", 1)
            window = [sales[(int(row["store"]), int(row["item"]), str(day - datetime.timedelta(days=horizon - 1 + T - t)))] for t in range(T)]
            xs.append([(v - offset) * factor for v in window])
            ours.append(float(row["predicted"]))
    keras = model.predict(np.array(xs, dtype=np.float32)[..., None], verbose=0, batch_size=1024)[:, 0] / factor + offset
    ours = np.array(ours)
    rel = np.abs(keras - ours) / np.maximum(np.abs(keras), 1e-3)
    print(f"{len(ours)} forecasts: max relative difference {rel.max():.2e}, mean {rel.mean():.2e}")
    if rel.max() > 1e-4:
        sys.exit("FAILED: Keras and Tinycast disagree by more than 1e-4")
    print("ok: Keras, with the exported weights, forecasts as Tinycast does")


if __name__ == "__main__":
    main()
