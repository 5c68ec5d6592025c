#!/usr/bin/env bash
# The GIF export's legend needs a font with Greek letters (η, γ, β₁): Debian's DejaVu Sans
# (optviz/plot/gif.py, FONT_FILES). Install it when it is missing and we can (root with apt-get);
# otherwise say what happens without it. Exits 1 when it is still missing: the tests need it.
set -euo pipefail
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ -f "$FONT" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's fonts-dejavu-core for the GIF export's legend..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
  [ -f "$FONT" ] && exit 0
fi
cat >&2 <<MSG
The GIF export draws its legend with DejaVu Sans ($FONT), which is missing and could not be
installed here (Debian/Ubuntu: sudo apt-get install fonts-dejavu-core). Without it the GIF spells
Greek letters out ("eta" for η) and the font tests fail.
MSG
exit 1
