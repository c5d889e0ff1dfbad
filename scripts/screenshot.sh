#!/usr/bin/env bash
# Opens report.html in headless Chromium, saves a screenshot, and fails if the page logs a
# console error or tries to load anything (the page's Content-Security-Policy blocks every
# request, and Chromium logs each blocked one as a console error).
# Usage: [WIDTH=px] scripts/screenshot.sh [report.html] [screenshot.png]  (window 1100 px wide unless WIDTH)
# Installs Debian's chromium package when it is missing (needs root or sudo).
set -euo pipefail
html=${1:-out/report/report.html}
png=${2:-docs/report.png}
"$(dirname "$0")/install_browser.sh"
# Static check first: no src/href pointing anywhere (the SVG namespace is not a request).
if grep -Eo '(src|href)="[a-z]+://[^"]*"' "$html"; then
    echo "error: $html links to external resources" >&2
    exit 1
fi
profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
mkdir -p "$(dirname "$png")"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=${WIDTH:-1100},2400 --enable-logging=stderr --v=0 \
    --screenshot="$(realpath -m "$png")" "file://$(realpath "$html")" 2>"$log" >/dev/null
if grep -E 'CONSOLE|Refused to|Uncaught' "$log"; then
    echo "error: the page logged console errors or blocked requests (above)" >&2
    exit 1
fi
test -s "$png"
echo "wrote $png; no console errors, no external requests"
