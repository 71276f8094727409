#!/bin/sh
# Renders an `xbm report` page with headless Chromium and checks that it is complete: every <img> decoded
# (naturalWidth > 0), as many images and tables as the page says it holds (the report writes the expected
# counts in #report-check; an inline script adds what the browser actually found once the page has loaded).
#
# Usage: tools/check_report.sh REPORT.html [SCREENSHOT.png]
#   With SCREENSHOT.png, also saves a screenshot of the rendered page there.
# Environment: CHROMIUM (default /usr/bin/chromium; Debian package "chromium"), CHECK_TIMEOUT (seconds, default 90).
# Exit status: 0 when the page is complete, 1 when something is missing, 2 on usage errors or no browser.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 REPORT.html [SCREENSHOT.png]" >&2
    exit 2
fi
report=$1
screenshot=${2:-}
chromium=${CHROMIUM:-/usr/bin/chromium}
limit=${CHECK_TIMEOUT:-90}
if [ ! -f "$report" ]; then
    echo "check_report: $report: no such file" >&2
    exit 2
fi
if [ ! -x "$chromium" ]; then
    echo "check_report: $chromium not found (apt-get install -y chromium, or set CHROMIUM)" >&2
    exit 2
fi

url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM

browse() {
    # --virtual-time-budget lets the load event and the inline script run before the DOM is dumped.
    timeout "$limit" "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --disable-background-networking --disable-component-update --disable-sync --no-first-run \
        --disable-extensions --mute-audio --hide-scrollbars --user-data-dir="$profile" \
        --virtual-time-budget=10000 "$@" "$url" 2>/dev/null
}

dom=$(browse --dump-dom) || { echo "check_report: chromium failed on $report" >&2; exit 1; }
marker=$(printf '%s' "$dom" | grep -o '<div id="report-check"[^>]*>' || true)
if [ -z "$marker" ]; then
    echo "check_report: $report: no #report-check element (not an xbm report?)" >&2
    exit 1
fi
attribute() {
    printf '%s' "$marker" | sed -n "s/.*$1=\"\\([0-9a-z]*\\)\".*/\\1/p"
}
checked=$(attribute data-checked)
expected_images=$(attribute data-expected-images)
expected_tables=$(attribute data-expected-tables)
loaded=$(attribute data-images-loaded)
broken=$(attribute data-images-broken)
tables=$(attribute data-tables)
if [ "$checked" != "yes" ]; then
    echo "check_report: $report: the page's check script did not run" >&2
    exit 1
fi
echo "check_report: $report: images loaded $loaded of $expected_images (broken $broken), tables $tables of $expected_tables"
status=0
if [ "$broken" != "0" ] || [ "$loaded" != "$expected_images" ] || [ "$loaded" = "0" ]; then
    echo "check_report: FAIL: images missing or not decoded" >&2
    status=1
fi
if [ "$tables" != "$expected_tables" ] || [ "$tables" = "0" ]; then
    echo "check_report: FAIL: tables missing" >&2
    status=1
fi
if [ -n "$screenshot" ]; then
    browse --screenshot="$screenshot" --window-size=1400,2400 >/dev/null || { echo "check_report: screenshot failed" >&2; status=1; }
    [ -s "$screenshot" ] || { echo "check_report: FAIL: empty screenshot $screenshot" >&2; status=1; }
fi
exit $status
