# shellcheck shell=bash
# stage_driver_lib.sh - the staging driver (buildpacks/stage) run directly, without a DEA or a
# container, for the buildpack e2e tests (sourced first; the test then sets T, its temp dir).
# Skips the test without HEARTH_SOURCE_DIR; gives it the PATH an app container has (the host's
# /usr), APPS (tests/apps), BP (buildpacks), fail and expect_eq, and:
#   stage_driver_need CMD...
#       skips the test unless every CMD is installed.
#   stage_driver NAME SRC [CACHE_FROM]
#       stages a copy of SRC in $T/NAME (with the buildpack cache of the staging CACHE_FROM
#       when given), offline: npm and pip are pointed at a closed loopback port. Fails unless
#       the driver succeeds (its log, $T/NAME.log, is shown). Sets STAGED_BP (the detected
#       buildpack) and STAGED_CMD (the start command).
[ -n "${HEARTH_SOURCE_DIR:-}" ] || { echo "skipped: HEARTH_SOURCE_DIR not set"; exit 0; }
export PATH=/usr/local/bin:/usr/bin:/bin
APPS="$HEARTH_SOURCE_DIR/tests/apps"
BP="$HEARTH_SOURCE_DIR/buildpacks"

fail() {
    echo "FAIL: $*"
    exit 1
}
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
    echo "ok - $1"
}

stage_driver_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null || { echo "skipped: $c not installed"; exit 0; }
    done
}

stage_driver() {
    local h="$T/$1"
    mkdir -p "$h"
    cp -r "$2" "$h/app"
    [ -n "${3:-}" ] && cp -r "$T/$3/cache" "$h/cache"
    env -u STAGING_COMMAND -u STAGING_BUILDPACK HOME="$h" npm_config_registry=http://127.0.0.1:9/ \
        PIP_INDEX_URL=http://127.0.0.1:9/simple sh "$BP/stage" "$h" >"$T/$1.log" 2>&1 || {
        cat "$T/$1.log"
        fail "staging $1"
    }
    STAGED_BP=$(sed -n 's/^detected_buildpack: //p' "$h/out/staging_info.yml")
    STAGED_CMD=$(sed -n 's/^start_command: //p' "$h/out/staging_info.yml")
}
