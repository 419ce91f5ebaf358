#!/usr/bin/env bash
# The proof a refactor owes (README, "Determinism"): record every session under sessions/ (on the
# real file, short training) and examples/ (built-in data) with the build before the change,
# then replay each recording with --verify on the build after it.
#   tools/replay_proof.sh record DIR     runs each session, then 'save session' into DIR/NAME.tcs
#   tools/replay_proof.sh verify DIR     replays DIR/*.tcs with --verify, and compares the files
#                                        the recorded runs wrote (tables, CSV, C) byte for byte
# REAL (default ../shared/data/store-item-demand/train.csv) must exist for sessions/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: tools/replay_proof.sh record|verify DIR}
dir=$(mkdir -p "${2:?usage: tools/replay_proof.sh record|verify DIR}" && cd "$2" && pwd)
real=$(cd "$(dirname "${REAL:-../shared/data/store-item-demand/train.csv}")" && pwd)/train.csv
bin=${TINYCAST:-.build/release/tinycast}
binpath=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# Short real-data runs: two replicas so every per-run path is taken, a few epochs each.
short=(--set "data=$real" --set epochs=3 --set runs=2 --set ft_epochs=2 --set time=2m
  --set max_bytes=100000 --set test_margin=50 --set max_mape=100 --set beat=100 --set int8_margin=100
  --set prune_margin=100 --set structured_margin=100 --set kd_margin=100)

# Runs session $1 in folder $2 (its outputs land there) and saves the session as $2/recorded.tcs.
replay_into() {
  local f=$1 out=$2 args=()
  rm -rf "$out"; mkdir -p "$out"
  cp "$f" "$out/session.tcs"
  # Data beside the session (examples/data) stays where its relative paths say.
  [ -d "$(dirname "$f")/data" ] && ln -s "$PWD/$(dirname "$f")/data" "$out/data"
  printf '\nsave session %s overwrite=on\n' "$out/recorded.tcs" >>"$out/session.tcs"
  [ "$(dirname "$f")" = sessions ] && args=("${short[@]}")
  (cd "$out" && "$binpath" run session.tcs --out . --allow-write ANYWHERE "${args[@]}" >log.txt 2>&1)
}

# A file without its wall-clock times: the recording time, the notebook's date, training times
# and their estimates, the process's peak memory (and, in a log, the folder the run wrote to).
wall_clock_free() {
  grep -v -e '^#! recorded ' -e '^Written by tinycast ' -e '^saved [0-9]* commands to ' "$1" |
    sed -E 's/ETA.*$/ETA/; s/ in [0-9hms]+(;|$)/ in T\1/; s/[0-9]+h[0-9]+m/T/g; s/[0-9]+m[0-9]+s/Ts/g; s/[0-9.T]+s( |$|\))/Ts\1/g' |
    sed -E 's/peak memory [0-9]+ MB/peak memory M MB/'
}

sessions=(sessions/*.tcs examples/*.tcs)
case $mode in
record)
  for f in "${sessions[@]}"; do
    echo "== [${SECONDS}s] record $f"
    replay_into "$f" "$dir/$(dirname "$f")-$(basename "$f" .tcs)" || { echo "$f failed"; exit 1; }
  done ;;
verify)
  # Each recording replays with --verify (every #=> number), then the session runs again and
  # every file both runs wrote (tables, CSV, JSON, C, models) must be byte-identical.
  status=0
  for f in "${sessions[@]}"; do
    rec="$dir/$(dirname "$f")-$(basename "$f" .tcs)"; check="$rec.after"
    echo "== [${SECONDS}s] verify $f"
    [ -f "$rec/recorded.tcs" ] || { echo "$f: new since the recording; nothing to compare"; continue; }
    rm -rf "$check.verify"; mkdir -p "$check.verify"
    "$bin" run "$rec/recorded.tcs" --verify --out "$check.verify" >"$check.verify.log" 2>&1 ||
      { echo "$f: the recording does not replay:"; tail -3 "$check.verify.log"; status=1; }
    replay_into "$f" "$check" || { echo "$f: failed to run"; tail -3 "$check/log.txt"; status=1; continue; }
    for file in "$rec"/*; do
      base=$(basename "$file")
      case $base in session.tcs | recorded.tcs | data) continue ;; esac
      if [ ! -e "$check/$base" ]; then
        echo "$f: $base not written"; status=1
      elif [ -d "$file" ]; then
        # A folder of files (a C export): every file in it, byte for byte.
        diff -rq "$file" "$check/$base" >/dev/null || { echo "$f: $base/ differs"; status=1; }
      elif ! cmp -s "$file" "$check/$base"; then
        # Sessions, notebooks and the printed output say when and how long: compared without.
        case $base in
        *.tcs | *.md | log.txt) cmp -s <(wall_clock_free "$file") <(wall_clock_free "$check/$base") ||
          { echo "$f: $base differs"; status=1; } ;;
        *) echo "$f: $base differs"; status=1 ;;
        esac
      fi
    done
    # The saved sessions agree apart from their provenance lines (tool version, time).
    diff <(grep -v '^#!' "$rec/recorded.tcs") <(grep -v '^#!' "$check/recorded.tcs") >/dev/null ||
      { echo "$f: the saved session differs"; status=1; }
  done
  exit $status ;;
*) echo "usage: tools/replay_proof.sh record|verify DIR"; exit 2 ;;
esac
