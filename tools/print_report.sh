#!/usr/bin/env bash
# Prints an HTML report to an A4 PDF with headless Chromium, as a browser's
# "Print" would, and says how many pages it takes:
#
#   bash tools/print_report.sh target/example-campaign/annual/annual.html [OUT.pdf] [MAX_PAGES]
#
# With MAX_PAGES, exits 1 when the PDF has more pages than that. Installs
# Debian's chromium, poppler-utils (pdfinfo) and a CJK font when they are
# missing and this runs as root (unless PRINT_REPORT_NO_INSTALL is set, as
# the tests do); otherwise it says what is missing and exits 77 (skipped).
set -euo pipefail
html=${1:?usage: print_report.sh REPORT.html [OUT.pdf] [MAX_PAGES]}
pdf=${2:-${html%.html}.pdf}
max=${3:-}

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdfinfo >/dev/null 2>&1 || need+=(poppler-utils)
# grep reads to the end: with -q it could stop early, and pipefail would take
# fc-list's broken pipe for a missing font.
fc-list 2>/dev/null | grep -i "CJK" >/dev/null || need+=(fonts-noto-cjk)
if ((${#need[@]})); then
  if [[ -z "${PRINT_REPORT_NO_INSTALL:-}" && $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "skipped: needs ${need[*]} (Debian packages; run as root to install them)" >&2
    exit 77
  fi
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-pdf-header-footer drops the browser's own date/URL lines; the
# report's CSS puts its page numbers at the foot of each page.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --no-pdf-header-footer \
  --print-to-pdf="$pdf" "file://$(realpath "$html")" >/dev/null 2>&1
pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
size=$(pdfinfo "$pdf" | awk -F': *' '/^Page size:/ {print $2}')
echo "$pdf: $pages page(s), $size"
if [[ -n "$max" && "$pages" -gt "$max" ]]; then
  echo "more than $max pages" >&2
  exit 1
fi
