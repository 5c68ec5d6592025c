#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
# Install it when it is missing and we can (root with apt-get); otherwise say what to do.
set -euo pipefail
CHROMIUM=${OPTVIZ_CHROMIUM:-/usr/bin/chromium}
bash "$(dirname "$0")/apt-ensure.sh" "$CHROMIUM" chromium "for the end-to-end tests" && exit 0
cat >&2 <<MSG
The end-to-end tests need Chromium at $CHROMIUM and it could not be installed here.
Install it (Debian/Ubuntu: sudo apt-get install chromium), or point OPTVIZ_CHROMIUM at a
Chromium binary, or run the rest of the suite without the browser tests: make test E2E=0
MSG
exit 1
