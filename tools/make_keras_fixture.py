#!/usr/bin/env python3
"""Generates Tests/ModelingTests/Fixtures/keras_lstm.json and keras_gru.json, the Keras references
for Tinycast's LSTM and GRU (Keras' GRU with reset_after=True, its default).

For each case: fixed weights (seeded numpy), a batch of windows and targets, then Keras'
LSTM(units) or GRU(units) -> Dense(1) (or Dense(7), a multi-day head) outputs, the MSE loss, the gradient of every parameter, and the weights
after three Adam steps (lr 1e-3, eps 1e-7) on that batch. Dropout is omitted from the Keras model
(it is the identity in inference and random in training; Tinycast tests its mask separately).

Run:  pip install tensorflow-cpu && python3 tools/make_keras_fixture.py [lstm] [gru]
The tests read only the JSON; TensorFlow is never needed to run them.
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "Tests", "ModelingTests", "Fixtures")


def build(cell, units, steps, inputs, outputs=1, layers=1):
    inp = tf.keras.Input(shape=(steps, inputs))
    h = inp
    for l in range(layers):
        # Every layer but the last hands its whole sequence to the next (stacked layers).
        name = cell if l == 0 else f"{cell}_{l}"
        more = l < layers - 1
        if cell == "lstm":
            h = tf.keras.layers.LSTM(units, return_sequences=more, name=name)(h)
        else:
            h = tf.keras.layers.GRU(units, reset_after=True, return_sequences=more, name=name)(h)
    out = tf.keras.layers.Dense(outputs, name="dense")(h)  # outputs > 1: a multi-day head
    return tf.keras.Model(inp, out)


def case(cell, units, steps, batch, seed, inputs=1, outputs=1, layers=1):
    rng = np.random.default_rng(seed)
    model = build(cell, units, steps, inputs, outputs, layers)
    gates = 4 if cell == "lstm" else 3
    bias_shape = (gates * units,) if cell == "lstm" else (2, gates * units)  # GRU: input bias, recurrent bias
    weights = []
    for l in range(layers):  # a later layer reads the H-wide hidden states of the one below
        weights += [
            rng.uniform(-0.5, 0.5, (inputs if l == 0 else units, gates * units)).astype(np.float32),
            rng.uniform(-0.5, 0.5, (units, gates * units)).astype(np.float32),
            rng.uniform(-0.2, 0.2, bias_shape).astype(np.float32),
        ]
    weights += [
        rng.uniform(-0.5, 0.5, (units, outputs)).astype(np.float32),
        rng.uniform(-0.1, 0.1, (outputs,)).astype(np.float32),
    ]
    model.set_weights(weights)
    x = rng.uniform(0, 1, (batch, steps, inputs)).astype(np.float32)
    y = rng.uniform(0, 1, (batch, outputs)).astype(np.float32)
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

    # Layer l > 0's tensors are named kernel_l, recurrent_kernel_l, bias_l.
    names = [n + ("" if l == 0 else f"_{l}") for l in range(layers) for n in ["kernel", "recurrent_kernel", "bias"]]
    names += ["dense_kernel", "dense_bias"]
    flat = lambda a: np.asarray(a, dtype=np.float64).reshape(-1).tolist()
    return {
        "units": units, "steps": steps, "batch": batch, "inputs_per_step": inputs, "dense_outputs": outputs,
        **({"layers": layers} if layers > 1 else {}),
        "weights": {n: flat(w) for n, w in zip(names, weights)},
        "inputs": flat(x),  # [batch][steps][inputs], row-major
        "targets": flat(y),
        "outputs": flat(pred),
        "loss": float(loss),
        "gradients": {n: flat(g) for n, g in zip(names, grads)},
        "adam_steps": 3,
        "weights_after_adam": {n: flat(w) for n, w in zip(names, model.get_weights())},
    }


LAYOUTS = {
    "lstm": "Keras: kernel [D,4H], recurrent_kernel [H,4H], bias [4H], gates i,f,c,o; dense_kernel [H,1]",
    "gru": "Keras GRU reset_after=True: kernel [D,3H], recurrent_kernel [H,3H], bias [2,3H] (input, recurrent), "
    "gates z,r,h; dense_kernel [H,1]",
}


def main():
    import sys
    cells = sys.argv[1:] or ["lstm", "gru"]
    for cell in cells:
        cases = [case(cell, 3, 5, 4, 11), case(cell, 8, 14, 6, 12), case(cell, 20, 14, 9, 13)]
        cases.append(case(cell, 6, 14, 5, 15, outputs=7))  # a 7-day head (window steps=7)
        if cell == "gru":
            cases.append(case(cell, 4, 28, 5, 14, inputs=14))  # a window with calendar channels
        # Stacked layers: two over one input, three over several inputs with a multi-day head.
        cases.append(case(cell, 5, 10, 4, 16, layers=2))
        cases.append(case(cell, 4, 8, 3, 17, inputs=3, outputs=2, layers=3))
        doc = {
            "generator": "tools/make_keras_fixture.py",
            "tensorflow": tf.__version__,
            "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else "",
            "layout": LAYOUTS[cell],
            "cases": cases,
        }
        out = os.path.join(FIXTURES, f"keras_{cell}.json")
        with open(out, "w") as f:
            json.dump(doc, f, indent=1)
        print("wrote", out)


if __name__ == "__main__":
    main()
