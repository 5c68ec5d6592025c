#!/usr/bin/env bash
# Usage: apt-ensure.sh FILE PACKAGE WHY. Exits 0 when FILE (a path, or a glob such as
# /usr/lib/postgresql/*/bin/initdb) is there, installing Debian's PACKAGE first
# when it is missing and we can (root with apt-get); 1 otherwise (the caller says what to do then).
# One install step for the browser, the font and the proxy (scripts/ensure-*.sh).
set -euo pipefail
file=$1 package=$2 why=$3
there() { compgen -G "$file" >/dev/null; }
there && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's $package $why..."
  apt-get update -qq
  # policy-rc.d (where the image has one) keeps a package such as nginx from starting a system service.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  there && exit 0
fi
exit 1
