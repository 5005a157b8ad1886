#!/usr/bin/env bash
# The breaking-change check of the v1 contracts: protos/ against the last published
# contract, contracts/baseline/ (moved forward only on purpose: `make publish-contract`).
#
# It then checks itself: a copy of the baseline with one field removed must be reported,
# so the check can never pass silently because it compares nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

BUF=${BUF:-"npx --no-install buf"}
BASELINE=contracts/baseline

$BUF breaking protos --against "$BASELINE"
echo "ok   protos/: no breaking change against $BASELINE (buf breaking)"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -R "$BASELINE"/. "$scratch"/
victim=$(find "$scratch/framewise" -name '*.proto' | sort | head -n 1)
# The first scalar field of the file, e.g. `  string name = 2;`.
line=$(grep -nE '^ +(string|int32|int64|uint32|uint64|bool|double|float|bytes) [a-z_0-9]+ = [0-9]+;' \
  "$victim" | head -n 1 | cut -d: -f1)
if [ -z "$line" ]; then
  echo "contracts/check.sh: self-test found no field to remove in $victim" >&2
  exit 1
fi
sed -i.bak "${line}d" "$victim" && rm -f "$victim.bak"
if $BUF breaking "$scratch" --against "$BASELINE" >"$scratch/out.txt" 2>&1; then
  echo "contracts/check.sh: self-test FAILED: removing a field was not reported" >&2
  exit 1
fi
if ! grep -q "deleted" "$scratch/out.txt"; then
  echo "contracts/check.sh: self-test FAILED: unexpected output:" >&2
  cat "$scratch/out.txt" >&2
  exit 1
fi
echo "ok   self-test: a removed field is reported ($(head -n 1 "$scratch/out.txt" | sed "s|$scratch/||"))"
