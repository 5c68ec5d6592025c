#!/usr/bin/env bash
# `make serve` and the proxy test put Debian's nginx in front of the app's replicas.
# Install it when it is missing and we can (root with apt-get); otherwise say what to do.
# Only the binary is used: scripts/serve.py runs it from a config of its own, no system service.
set -euo pipefail
NGINX=${OPTVIZ_NGINX:-/usr/sbin/nginx}
bash "$(dirname "$0")/apt-ensure.sh" "$NGINX" nginx "for the replicas' proxy" && exit 0
cat >&2 <<MSG
Several replicas (make serve) and the proxy test need nginx at $NGINX and it could not be installed here.
Install it (Debian/Ubuntu: sudo apt-get install nginx), or point OPTVIZ_NGINX at an nginx binary,
or run one server without a proxy: make run
MSG
exit 1
