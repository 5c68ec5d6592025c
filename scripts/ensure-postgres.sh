#!/usr/bin/env bash
# tests/classroom/test_postgres.py runs the class board's store against a real PostgreSQL server, started
# from Debian's postgresql package's binaries (initdb, pg_ctl) in a temporary directory: no system service.
# Install it when it is missing and we can (root with apt-get); otherwise say so (the test then skips).
set -euo pipefail
bash "$(dirname "$0")/apt-ensure.sh" "/usr/lib/postgresql/*/bin/initdb" postgresql "for the board store's PostgreSQL test" \
  && exit 0
cat >&2 <<MSG
The PostgreSQL test of the class board's store needs Debian's postgresql package (initdb and pg_ctl in
/usr/lib/postgresql/<version>/bin), which could not be installed here: that test is skipped.
Install it with: sudo apt-get install postgresql
MSG
exit 1
