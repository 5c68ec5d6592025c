#!/usr/bin/env bash
# The GIF export's legend needs a font with Greek letters (η, γ, β₁): Debian's DejaVu Sans
# (optviz/plot/gif.py, FONT_FILES). Install it when it is missing and we can (root with apt-get);
# otherwise say what happens without it. Exits 1 when it is still missing: the tests need it.
set -euo pipefail
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
bash "$(dirname "$0")/apt-ensure.sh" "$FONT" fonts-dejavu-core "for the GIF export's legend" && exit 0
cat >&2 <<MSG
The GIF export draws its legend with DejaVu Sans ($FONT), which is missing and could not be
installed here (Debian/Ubuntu: sudo apt-get install fonts-dejavu-core). Without it the GIF spells
Greek letters out ("eta" for η) and the font tests fail.
MSG
exit 1
