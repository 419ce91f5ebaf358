#!/usr/bin/env bash
# Compiles every C model a session exported into DIR and checks its forecasts against the
# session's `predict` CSV of the same model: bit-identical for int8 models, within 1e-5 relative
# for float ones. The input windows are rebuilt from the sales CSV (the LOOKBACK days before each
# forecast's date; a model with calendar inputs also reads that date; a multi-day model's window
# is its first day's).
#   usage: tools/c_parity.sh DIR SALES.csv
set -euo pipefail
dir=$1; sales=$2
status=0
for src in "$dir"/*.c; do
  name=$(basename "$src" .c)
  csv="$dir/$(ls "$dir" | grep -x "$(echo "$name" | sed 's/_/[-_]/g').csv" | head -1)"
  [ -f "$csv" ] || { echo "$name: no forecasts CSV beside it"; status=1; continue; }
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  cc -std=c99 -O2 -Wall -Wextra -Werror -D"${upper}_MAIN" -o "$dir/$name.bin" "$src"
  lookback=$(sed -n "s/#define ${name}_LOOKBACK \([0-9]*\)/\1/p" "$dir/$name.h")
  exact=no; grep -q "integer path" "$src" && exact=yes
  dated=no; grep -q "int year, int month, int day" "$dir/$name.h" && dated=yes
  python3 - "$csv" "$sales" "$lookback" "$dir/$name.bin" "$exact" "$name" "$dated" <<'PY' || status=1
import csv, datetime, subprocess, sys, struct
forecasts, sales_path, T, binary, exact, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "yes", sys.argv[6]
dated = sys.argv[7] == "yes"
sales = {}
with open(sales_path) as f:
    for r in csv.DictReader(f): sales[(r["store"], r["item"], r["date"])] = r["sales"]
rows = list(csv.DictReader(open(forecasts)))
lines = []
for r in rows:
    # A multi-day model's CSV has a row per day (step 1 ... S): its window is the step-1 row's,
    # and its harness prints the S days one per line, in the CSV's order.
    if "step" in r and r["step"] != "1": continue
    d = datetime.date.fromisoformat(r["date"])
    window = [sales[(r["store"], r["item"], str(d - datetime.timedelta(days=T - t)))] for t in range(T)]
    lines.append(" ".join(window + ([str(d.year), str(d.month), str(d.day)] if dated else [])))
out = subprocess.run([binary], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True).stdout.split()
f32 = lambda x: struct.unpack("f", struct.pack("f", x))[0]
c = [f32(float.fromhex(x)) for x in out]
s = [f32(float(r["predicted"])) for r in rows]
worst = max(abs(a - b) / max(abs(b), 1e-3) for a, b in zip(c, s))
identical = sum(a == b for a, b in zip(c, s))
ok = len(c) == len(s) and (identical == len(s) if exact else worst <= 1e-5)
print(f"{name}: {len(c)} forecasts, {identical} bit-identical, max relative difference {worst:.2e} -> {'ok' if ok else 'FAILED'}{' (int8: must be identical)' if exact else ''}")
sys.exit(0 if ok else 1)
PY
done
exit $status
