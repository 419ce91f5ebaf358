#!/usr/bin/env bash
# The formatting gate (CI runs it): `swift format lint --strict` with the repository's
# .swift-format, and no Swift line in Sources or Tests longer than 120 columns (the formatter
# cannot break a long string literal, so it does not report those lines itself).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
swift format lint --strict --recursive --parallel Sources Tests Package.swift tools/native-kernel
# Generated files (swift-protobuf's onnx.pb.swift) say so on their first line and are skipped.
long=$(find Sources Tests tools/native-kernel -name '*.swift' -print0 | xargs -0 awk 'FNR == 1 { generated = /swift-format-ignore-file/ }
  !generated && length > 120 { print FILENAME ":" FNR ": " length " columns" }')
if [ -n "$long" ]; then
  echo "$long"
  echo "lint: $(echo "$long" | wc -l) lines longer than 120 columns"
  exit 1
fi
echo "lint: clean"
