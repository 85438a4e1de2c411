#!/usr/bin/env bash
# nats.js (npm `nats` 2.x) against hearth-bus AND Debian's nats-server, same script for both.
# The npm package is installed at test time into the build dir from tests/e2e/js/package.json.
set -euo pipefail
src=${HEARTH_SOURCE_DIR:?}
bin=${HEARTH_BIN_DIR:?}
build=${HEARTH_BUILD_DIR:-$bin/..}
nats=$(command -v nats-server || true)
[ -x /usr/sbin/nats-server ] && nats=/usr/sbin/nats-server
[ -n "$nats" ] || { echo "nats-server not installed"; exit 1; }
command -v node >/dev/null || { echo "node not installed"; exit 1; }
work="$build/bus-js"
mkdir -p "$work"
cp "$src/tests/e2e/js/package.json" "$src/tests/e2e/js/interop.mjs" "$work/"
if [ ! -d "$work/node_modules/nats" ]; then
    (cd "$work" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
rc=0
node "$work/interop.mjs" hearth-bus "$bin/hearth-bus" || rc=1
node "$work/interop.mjs" nats-server "$nats" || rc=1
exit $rc
