#!/usr/bin/env bash
# `make serve` and the proxy test put Debian's nginx in front of the app's replicas.
# Install it when it is missing and we can (root with apt-get); otherwise say what to do.
# Only the binary is used: scripts/serve.py runs it from a config of its own, no system service.
set -euo pipefail
NGINX=${OPTVIZ_NGINX:-/usr/sbin/nginx}
if [ -x "$NGINX" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's nginx for the replicas' proxy..."
  apt-get update -qq
  # policy-rc.d (where the image has one) keeps the package from starting a system nginx on port 80.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  [ -x "$NGINX" ] && exit 0
fi
cat >&2 <<MSG
Several replicas (make serve) and the proxy test need nginx at $NGINX and it could not be installed here.
Install it (Debian/Ubuntu: sudo apt-get install nginx), or point OPTVIZ_NGINX at an nginx binary,
or run one server without a proxy: make run
MSG
exit 1
