#!/usr/bin/env python3
"""The article's Keras code on Tinycast's split, timed on this machine, for `make bench-compare`.

Trains LSTM(64) -> Dropout(0.2) -> Dense(1) (Adam, MSE, batch 32) for three epochs on Kaggle's
Store Item Demand data, stores 1-5 x items 1-10, 14-day windows, the first 80% of each series'
windows (validation: their last 10%), min-max scaled on the training days; then converts the model
to TFLite and times single-window invokes, and those of TFLite's full-integer LSTM-32. Prints one
JSON object:
  {"keras_epoch_s", "keras_windows_per_s", "keras_peak_rss_mb", "tflite_median_us", "tflite_p99_us",
   "tflite_int8_median_us", "tflite_int8_p99_us", "tensorflow"}
Needs: pip install tensorflow-cpu (never needed by Tinycast's tests).
  usage: python3 bench/keras_reference.py PATH/train.csv [OUT.json]
"""
import csv
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

LOOKBACK, SPLIT, VAL = 14, 0.8, 0.1


def windows(path):
    series = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            s, i = int(row["store"]), int(row["item"])
            if 1 <= s <= 5 and 1 <= i <= 10:
                series.setdefault((s, i), []).append((row["date"], float(row["sales"])))
    xs_fit, ys_fit, xs_val, ys_val, train_days = [], [], [], [], []
    prepared = []
    for key in sorted(series):
        values = np.array([v for _, v in sorted(series[key])], dtype=np.float32)
        n = len(values) - LOOKBACK
        train = int(n * SPLIT)
        fit = int(train * (1 - VAL))
        train_days.append(values[: train - 1 + LOOKBACK + 1])
        prepared.append((values, train, fit))
    lo = min(d.min() for d in train_days)
    hi = max(d.max() for d in train_days)
    for values, train, fit in prepared:
        scaled = (values - lo) / (hi - lo)
        for w in range(train):
            x, y = scaled[w : w + LOOKBACK], scaled[w + LOOKBACK]
            (xs_fit if w < fit else xs_val).append(x)
            (ys_fit if w < fit else ys_val).append(y)
    as_x = lambda a: np.array(a, dtype=np.float32)[..., None]
    return as_x(xs_fit), np.array(ys_fit, np.float32), as_x(xs_val), np.array(ys_val, np.float32)


def invoke_latency(model_content, window, count=5000):
    """Median and p99 of single invokes (set input, invoke, read output), in microseconds."""
    interpreter = tf.lite.Interpreter(model_content=model_content, num_threads=1)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    for _ in range(200):
        interpreter.set_tensor(inp, window); interpreter.invoke()
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        interpreter.set_tensor(inp, window)
        interpreter.invoke()
        interpreter.get_tensor(out)
        samples.append((time.perf_counter() - t0) * 1e6)
    samples.sort()
    return samples[len(samples) // 2], samples[len(samples) * 99 // 100]


def int8_latency(xv):
    """TFLite's full-integer LSTM-32 (int8 weights and activations, float input and output, the
    14 steps unrolled), the same-run reference for Tinycast's int8 LSTM-32. Latency does not
    depend on the weights' values, so the model is not trained; the validation windows calibrate
    the activations' ranges."""
    tf.keras.utils.set_random_seed(2)
    infer = tf.keras.Sequential([
        tf.keras.Input(shape=(LOOKBACK, 1), batch_size=1),
        tf.keras.layers.LSTM(32, unroll=True),
        tf.keras.layers.Dense(1),
    ])
    converter = tf.lite.TFLiteConverter.from_keras_model(infer)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([xv[k : k + 1]] for k in range(0, len(xv), max(1, len(xv) // 200)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return invoke_latency(converter.convert(), xv[:1])


def main():
    x, y, xv, yv = windows(sys.argv[1])
    tf.keras.utils.set_random_seed(1)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(LOOKBACK, 1)),
        tf.keras.layers.LSTM(64),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")

    # Three epochs, each timed by a callback; the median is reported, as tinycast-bench does
    # (the first epoch also pays for tracing the graph, so it alone would flatter Tinycast).
    class EpochTimer(tf.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    timer = EpochTimer()
    model.fit(x, y, batch_size=32, epochs=3, validation_data=(xv, yv), shuffle=True, verbose=0, callbacks=[timer])
    epoch = sorted(timer.seconds)[1]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The deployment form: batch 1, the 14 steps unrolled, so TFLite converts it to builtin ops
    # (its converter cannot lower the training model's while-loop tensor lists).
    infer = tf.keras.Sequential([
        tf.keras.Input(shape=(LOOKBACK, 1), batch_size=1),
        tf.keras.layers.LSTM(64, unroll=True),
        tf.keras.layers.Dense(1),
    ])
    infer.set_weights(model.get_weights())
    converter = tf.lite.TFLiteConverter.from_keras_model(infer)
    float_median, float_p99 = invoke_latency(converter.convert(), xv[:1])
    int8_median, int8_p99 = int8_latency(xv)
    result = {"keras_epoch_s": epoch, "keras_windows_per_s": len(x) / epoch, "keras_peak_rss_mb": rss_mb,
              "tflite_median_us": float_median, "tflite_p99_us": float_p99,
              "tflite_int8_median_us": int8_median, "tflite_int8_p99_us": int8_p99,
              "tensorflow": tf.__version__}
    text = json.dumps(result)
    print(text)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
