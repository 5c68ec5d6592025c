#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
# Install it when it is missing and we can (root with apt-get); otherwise say what to do.
set -euo pipefail
CHROMIUM=${OPTVIZ_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the end-to-end tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
cat >&2 <<MSG
The end-to-end tests need Chromium at $CHROMIUM and it could not be installed here.
Install it (Debian/Ubuntu: sudo apt-get install chromium), or point OPTVIZ_CHROMIUM at a
Chromium binary, or run the rest of the suite without the browser tests: make test E2E=0
MSG
exit 1
