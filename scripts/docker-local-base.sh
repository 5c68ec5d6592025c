#!/usr/bin/env bash
# Builds a local stand-in for python:3.11-slim where Docker Hub cannot be reached (Debian's mirror can):
# Debian bookworm (minbase) with Debian's Python 3.11 and a venv at /opt/venv on PATH, so that `python`
# and `pip` work as in the official image and pip installs into the venv (not into Debian's Python,
# which PEP 668 marks as externally managed). Needs root, debootstrap and a Docker engine. Then:
#   docker build --build-arg BASE=local/bookworm-python:3.11 -t optviz .
# Usage: sudo bash scripts/docker-local-base.sh [ROOTFS_DIR] [MIRROR]
set -euo pipefail
ROOTFS=${1:-/tmp/optviz-rootfs}
MIRROR=${2:-http://deb.debian.org/debian}
TAG=local/bookworm-python:3.11

command -v debootstrap >/dev/null || apt-get install -y debootstrap
if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm "$ROOTFS" "$MIRROR"
fi
[ -x "$ROOTFS/opt/venv/bin/python" ] || chroot "$ROOTFS" python3 -m venv /opt/venv
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python"]' - "$TAG"
docker run --rm "$TAG" python -c "import sys; print('$TAG:', sys.version.split()[0], sys.prefix)"
