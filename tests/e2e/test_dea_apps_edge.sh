#!/usr/bin/env bash
# e2e (needs root): the buildpacks' edges through a real warden + DEA: a requirement vendored in
# .hearth/site satisfies requirements.txt without pip and is importable at run time (one
# gunicorn worker at 128 MB); a Procfile's web command wins over the python buildpack's
# gunicorn; requirements pip cannot fetch and dependencies npm cannot fetch fail staging with a
# clear log, whether the package index's name does not resolve or its port is closed.
. "$(dirname "$0")/dea_apps_lib.sh"

# --- a vendored distribution in .hearth/site
s="$T/src-vend"
mkdir -p "$s/.hearth/site/hearthvend-1.0.dist-info"
printf 'Metadata-Version: 2.1\nName: hearthvend\nVersion: 1.0\n' \
    >"$s/.hearth/site/hearthvend-1.0.dist-info/METADATA"
echo 'GREETING = "hello from a vendored package"' >"$s/.hearth/site/hearthvend.py"
echo 'hearthvend==1.0' >"$s/requirements.txt"
cat >"$s/wsgi.py" <<'EOF'
import hearthvend


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [(hearthvend.GREETING + "\n").encode()]
EOF
app_stage vend "$s" python
grep -q "pip install" "$T/vend.stage.log" &&
    wdn_fail "vend: pip ran although the requirement is vendored"
echo "ok - vend: requirements.txt satisfied by .hearth/site, pip not run"
app_run vend 128 "hello from a vendored package"
h=$(app_container 'gunicorn.*wsgi:application') || wdn_fail "no container runs the vend app"
n=$(wdn run "$h" -- sh -c 'ps -e -o args=' | grep -c '^python3 -m gunicorn .*wsgi:application')
expect_eq "vend: gunicorn master + 1 worker at 128 MB" "$n" "2"

# --- a Procfile wins over the buildpack's command
s=$(app_src flask)
echo 'web: python3 app.py' >"$s/Procfile"
app_stage flaskproc "$s" python
expect_eq "flaskproc: start command from the Procfile" "$(app_start_command flaskproc)" "python3 app.py"
app_run flaskproc 128 "hello from flask, index 0"

# --- what pip or npm cannot fetch fails staging clearly
s="$T/src-pyreq"
mkdir -p "$s"
printf 'from flask import Flask\napp = Flask(__name__)\n' >"$s/app.py"
echo 'hearth-no-such-dist==1.0' >"$s/requirements.txt"
STAGE_ENV='["PIP_INDEX_URL=http://127.0.0.1:9/simple"]' \
    app_stage_fails pyreq "$s" "pip could not install the requirements"
grep -q "Not installed: hearth-no-such-dist==1.0" "$T/pyreq.stage.log" ||
    wdn_fail "pyreq: the log does not name the missing requirement"

# An index whose name does not resolve (.invalid never does; a container without a resolver
# fails the same way, after the buildpack's 3 s limit instead of the resolver's timeouts).
STAGE_ENV='["PIP_INDEX_URL=https://pypi.hearth-test.invalid/simple"]' \
    app_stage_fails pyreq "$s" "cannot be reached from this staging container"

s="$T/src-nodereq"
mkdir -p "$s"
echo '{"name": "nodereq", "version": "1.0.0", "dependencies": {"cfenv": "1.2.6"}}' >"$s/package.json"
echo 'require("cfenv");' >"$s/server.js"
STAGE_ENV='["npm_config_registry=http://127.0.0.1:9/"]' \
    app_stage_fails nodereq "$s" "npm install failed"
STAGE_ENV='["npm_config_registry=https://registry.hearth-test.invalid/"]' \
    app_stage_fails nodereq "$s" "cannot be reached from this staging container"

apps_summary
echo PASS
