#!/usr/bin/env python3
"""Writes examples/data/promotions.csv, lesson 10's file: a small retailer's daily sales as its
own systems might export them. Columns under other names than Kaggle's (day, shop, sku, units),
shops and products named rather than numbered, and two columns a forecaster can use: a planned
promotion flag (true/false) and the shelf price. Promotions run 3 to 7 days at a time, about one
day in eight; they lift sales by 60 to 100% and cut the price by a quarter. A price is left empty
now and then, as exports do. Deterministic (its own seeded generator): the same file every run.

    python3 tools/make_promotions.py > examples/data/promotions.csv
"""
import datetime
import math
import random

rng = random.Random(2024)
shops = ["harbour", "market-square"]
skus = {"SKU-1007": (60.0, 3.49), "SKU-2203": (120.0, 1.29), "SKU-3310": (30.0, 7.99)}
start = datetime.date(2015, 1, 1)
days = 730
weekday = [0.85, 0.9, 0.95, 1.0, 1.1, 1.3, 1.2]  # Monday first

print("day,shop,sku,units,promo,price")
for shop_index, shop in enumerate(shops):
    for sku, (level, price) in skus.items():
        promo_left = 0
        for d in range(days):
            date = start + datetime.timedelta(days=d)
            if promo_left == 0 and rng.random() < 0.025:
                promo_left = rng.randint(3, 7)
            promo = promo_left > 0
            lift = 1.6 + 0.4 * rng.random() if promo else 1.0
            promo_left = max(promo_left - 1, 0)
            season = 1 + 0.15 * math.sin(2 * math.pi * (date.timetuple().tm_yday - 80) / 365.25)
            mean = level * (1 + 0.3 * shop_index) * weekday[date.weekday()] * season * lift
            # Poisson by inversion (small means) or a rounded normal (large ones).
            if mean < 30:
                k, p, u = 0, math.exp(-mean), rng.random()
                s = p
                while u > s:
                    k += 1
                    p *= mean / k
                    s += p
                units = k
            else:
                units = max(0, round(rng.gauss(mean, math.sqrt(mean))))
            shown = "" if rng.random() < 0.01 else f"{price * (0.75 if promo else 1):.2f}"
            print(f"{date},{shop},{sku},{units},{'true' if promo else 'false'},{shown}")
