#!/usr/bin/env bash
# Regenerates docs/flamegraph.png, the README's picture: the flame graph of the labelled
# CPU fixture (a real Go profile made by scripts/gen-fixtures.sh), drawn by
# `profctl pprof flamegraph` and screenshotted by headless Chromium at its own size.
# Needs Debian's chromium (apt-get install chromium) and a built profctl.
set -euo pipefail
cd "$(dirname "$0")/.."
profctl=${PROFCTL:-target/debug/profctl}
chromium=${CHROMIUM:-/usr/bin/chromium}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$profctl" pprof flamegraph --profile tests/fixtures/labels.cpu.pb.gz \
  --output_path "$work/flame.svg" >/dev/null
height=$(grep -o '<svg[^>]* height="[0-9]*"' "$work/flame.svg" | grep -o '[0-9]*"$' | tr -d '"')
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$work/profile" --window-size="1200,$height" \
  --screenshot="$work/flame.png" "file://$work/flame.svg" 2>/dev/null
mv "$work/flame.png" docs/flamegraph.png
echo "wrote docs/flamegraph.png (1200x$height)"
