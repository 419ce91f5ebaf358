#!/usr/bin/env python3
"""The classical yardstick, computed by a reference implementation on Tinycast's split.

statsforecast's AutoETS (season length 7, model chosen by AICc) and, with --models ets,theta, its
Theta (the standard theta method, seasonally adjusted) are fitted on each series' days before the
test period and then forecast one step ahead through the test period with their state updated by
each observed day and no refit (cross_validation with refit=False), so they are scored on exactly
the test targets Tinycast scores every model on: for the article's data (stores 1-5 x items 1-10)
the 18,150 days from the dataset's cut on. (statsforecast's Theta, when it moves forward,
recomputes its seasonal indices and trend line over every day it is given, test days included;
Tinycast's keeps those of the training days. Its figure is therefore a little optimistic.)

The cut is Tinycast's (SalesData/Windows.swift, testStart): a series of n days is tested from
day floor((n - 14) * split) + 14 on.

    usage: python3 bench/statsforecast_reference.py train.csv [--stores 1-5] [--items 1-10]
           [--split 0.8] [--models ets,theta] [--out reference.json]
needs: pip install statsforecast pandas (never needed by the tests)
"""
import argparse
import json
import math
import sys
import time


def ids(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return set(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--stores", default="1-5")
    parser.add_argument("--items", default="1-10")
    parser.add_argument("--split", type=float, default=0.8)
    parser.add_argument("--models", default="ets", help="ets, theta or both (comma-separated)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    try:
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, Theta
    except ImportError as error:
        sys.exit(f"needs statsforecast and pandas ({error}); pip install statsforecast")

    frame = pd.read_csv(args.csv, parse_dates=["date"])
    frame = frame[frame.store.isin(ids(args.stores)) & frame.item.isin(ids(args.items))]
    frame = frame.sort_values(["store", "item", "date"])
    frame["unique_id"] = frame.store.astype(str) + "-" + frame.item.astype(str)
    data = frame.rename(columns={"date": "ds", "sales": "y"})[["unique_id", "ds", "y"]]

    lengths = data.groupby("unique_id").size()
    n = int(lengths.iloc[0])
    if (lengths != n).any():
        sys.exit("every series must have the same number of days (one cut for all)")
    test_start = math.floor((n - 14) * args.split) + 14
    test_days = n - test_start

    names = {"ets": ("AutoETS", lambda: AutoETS(season_length=7)), "theta": ("Theta", lambda: Theta(season_length=7))}
    results = []
    for key in args.models.split(","):
        column, make = names[key]
        started = time.time()
        sf = StatsForecast(models=[make()], freq="D", n_jobs=1)
        cv = sf.cross_validation(df=data, h=1, n_windows=test_days, step_size=1, refit=False)
        seconds = time.time() - started
        y = cv["y"].to_numpy(dtype=float)
        p = cv[column].to_numpy(dtype=float)
        nonzero = y != 0
        results.append({
            "model": f"statsforecast {column}(season_length=7), one step ahead, state updated, no refit",
            "series": int(lengths.size),
            "test_targets": int(len(y)),
            "mape": float(100 * (abs(y - p)[nonzero] / abs(y[nonzero])).mean()),
            "mae": float(abs(y - p).mean()),
            "wape": float(100 * abs(y - p).sum() / abs(y).sum()),
            "seconds": seconds,
        })
    result = results[0] if len(results) == 1 else results
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
