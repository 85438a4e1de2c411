# shellcheck shell=bash
# stage_driver_lib.sh - the staging driver (buildpacks/stage) run directly, without a DEA or a
# container, for the buildpack e2e tests (sourced after T, BP and fail are set):
#   stage_driver NAME SRC [CACHE_FROM]
#       stages a copy of SRC in $T/NAME (with the buildpack cache of the staging CACHE_FROM
#       when given), offline: npm and pip are pointed at a closed loopback port. Fails unless
#       the driver succeeds (its log, $T/NAME.log, is shown). Sets STAGED_BP (the detected
#       buildpack) and STAGED_CMD (the start command).
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
