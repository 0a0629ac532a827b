#!/usr/bin/env bash
# Renders an HTML report to PNG with headless Chromium, so a reviewer can look
# at it without a browser:
#
#   bash tools/render_report.sh target/example-campaign/annual/annual.html [out.png]
#
# Installs Debian's chromium and a CJK font if they are missing (needs root).
set -euo pipefail
html=${1:?usage: render_report.sh REPORT.html [OUT.png]}
png=${2:-${html%.html}.png}
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1240,1754 \
  --screenshot="$png" "file://$(realpath "$html")" >/dev/null 2>&1
echo "wrote $png"
