#!/usr/bin/env python3
"""Generates Tests/ModelingTests/Fixtures/keras_lstm.json, the Keras reference for Tinycast's LSTM.

For each case: fixed weights (seeded numpy), a batch of windows and targets, then Keras'
LSTM(units) -> Dense(1) outputs, the MSE loss, the gradient of every parameter, and the weights
after three Adam steps (lr 1e-3, eps 1e-7) on that batch. Dropout is omitted from the Keras model
(it is the identity in inference and random in training; Tinycast tests its mask separately).

Run:  pip install tensorflow-cpu && python3 tools/make_keras_fixture.py
The tests read only the JSON; TensorFlow is never needed to run them.
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ModelingTests", "Fixtures", "keras_lstm.json")


def build(units, steps):
    inp = tf.keras.Input(shape=(steps, 1))
    h = tf.keras.layers.LSTM(units, name="lstm")(inp)
    out = tf.keras.layers.Dense(1, name="dense")(h)
    return tf.keras.Model(inp, out)


def case(units, steps, batch, seed):
    rng = np.random.default_rng(seed)
    model = build(units, steps)
    weights = [
        rng.uniform(-0.5, 0.5, (1, 4 * units)).astype(np.float32),
        rng.uniform(-0.5, 0.5, (units, 4 * units)).astype(np.float32),
        rng.uniform(-0.2, 0.2, (4 * units,)).astype(np.float32),
        rng.uniform(-0.5, 0.5, (units, 1)).astype(np.float32),
        rng.uniform(-0.1, 0.1, (1,)).astype(np.float32),
    ]
    model.set_weights(weights)
    x = rng.uniform(0, 1, (batch, steps, 1)).astype(np.float32)
    y = rng.uniform(0, 1, (batch, 1)).astype(np.float32)
    loss_fn = tf.keras.losses.MeanSquaredError()
    with tf.GradientTape() as tape:
        pred = model(x, training=False)
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)

    opt = tf.keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    for _ in range(3):
        with tf.GradientTape() as tape:
            l = loss_fn(y, model(x, training=False))
        g = tape.gradient(l, model.trainable_variables)
        opt.apply_gradients(zip(g, model.trainable_variables))

    names = ["kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"]
    flat = lambda a: np.asarray(a, dtype=np.float64).reshape(-1).tolist()
    return {
        "units": units, "steps": steps, "batch": batch,
        "weights": {n: flat(w) for n, w in zip(names, weights)},
        "inputs": flat(x),  # [batch][steps], row-major
        "targets": flat(y),
        "outputs": flat(pred),
        "loss": float(loss),
        "gradients": {n: flat(g) for n, g in zip(names, grads)},
        "adam_steps": 3,
        "weights_after_adam": {n: flat(w) for n, w in zip(names, model.get_weights())},
    }


def main():
    doc = {
        "generator": "tools/make_keras_fixture.py",
        "tensorflow": tf.__version__,
        "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else "",
        "layout": "Keras: kernel [1,4H], recurrent_kernel [H,4H], bias [4H], gates i,f,c,o; dense_kernel [H,1]",
        "cases": [case(3, 5, 4, 11), case(8, 14, 6, 12), case(20, 14, 9, 13)],
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
