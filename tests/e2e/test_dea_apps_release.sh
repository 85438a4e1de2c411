#!/usr/bin/env bash
# e2e (no root, no container): the staging driver (buildpacks/stage) run directly on copies of
# the test apps, with the PATH an app container has (the host's /usr): the detected buildpack
# and the start command each app gets; the python buildpack's requirement check (versions,
# markers, vendored .hearth/site) and its WSGI entry detection on small trees.
set -u
. "$(dirname "$0")/stage_driver_lib.sh"
stage_driver_need python3 node ruby java javac jar unzip
T=$(mktemp -d /tmp/hearth-apps-release.XXXXXX)
trap 'rm -rf "$T"' EXIT
PYAPP="python3 $BP/python/lib/pyapp.py"

# stage NAME SRC: stages a copy of SRC; prints "BUILDPACK|START_COMMAND".
stage() {
    stage_driver "$1" "$2"
    echo "$STAGED_BP|$STAGED_CMD"
}

G='python3 -m gunicorn --config .hearth/gunicorn.conf.py --bind 0.0.0.0:$PORT'
expect_eq "flask" "$(stage flask "$APPS/flask")" "python|$G app:app"
expect_eq "django" "$(stage django "$APPS/django")" "python|$G proj.wsgi:application"
expect_eq "wsgi" "$(stage wsgi "$APPS/wsgi")" "python|$G wsgi:application"
expect_eq "python-http (Procfile)" "$(stage python-http "$APPS/python-http")" "python|python3 app.py"
[ -f "$T/wsgi/out/app/.hearth/gunicorn.conf.py" ] || fail "wsgi: no .hearth/gunicorn.conf.py"
expect_eq "rack" "$(stage rack "$APPS/rack")" \
    'ruby|rackup -s webrick -E ${RACK_ENV:-production} -o 0.0.0.0 -p $PORT config.ru'
mkdir -p "$T/src-java"
sh "$APPS/java-jar/build.sh" "$T/src-java" >/dev/null 2>&1 || fail "building the jar"
expect_eq "java" "$(stage java "$T/src-java")" \
    'java|m=${MEMORY_LIMIT:-256m}; m=${m%m}; java -Xmx$((m-(m/4>64?m/4:64)))m -XX:-UsePerfData $JAVA_OPTS -Dserver.port=$PORT -jar hello.jar'
expect_eq "node-http" "$(stage node-http "$APPS/node-http")" "node|npm start"
# cfenv with a node_modules that holds its dependency: npm is not run (the registry given
# to the driver is a closed port, so npm install would fail).
cp -r "$APPS/cfenv" "$T/src-cfenv"
mkdir -p "$T/src-cfenv/node_modules/cfenv"
echo '{"name": "cfenv", "version": "1.2.6"}' >"$T/src-cfenv/node_modules/cfenv/package.json"
expect_eq "cfenv (node_modules shipped)" "$(stage cfenv "$T/src-cfenv")" "node|node server.js"

# A vendored requirement puts .hearth/site on PYTHONPATH.
mkdir -p "$T/src-vend/.hearth/site/hv-2.0.dist-info"
printf 'Name: hv\nVersion: 2.0\n' >"$T/src-vend/.hearth/site/hv-2.0.dist-info/METADATA"
echo 'hv>=2,<3' >"$T/src-vend/requirements.txt"
printf 'import hv\napplication = hv.app\n' >"$T/src-vend/wsgi.py"
expect_eq "vendored requirement" "$(stage vend "$T/src-vend")" \
    "python|PYTHONPATH=\$PWD/.hearth/site $G wsgi:application"

# --- pyapp.py requirements-met
req() { # LINES...: exit status of requirements-met on a requirements.txt with these lines
    rm -rf "$T/req" && mkdir -p "$T/req"
    printf '%s\n' "$@" >"$T/req/requirements.txt"
    $PYAPP requirements-met "$T/req" >/dev/null
}
req "Flask" "django>=3" "# a comment" "" "gunicorn  # served by" || fail "installed requirements"
echo "ok - installed requirements are met (names case-insensitive, comments)"
req "Flask>=99" && fail "Flask>=99 met"
echo "ok - a version the system does not have is not met"
req "hearth-no-such-dist" && fail "an unknown distribution met"
echo "ok - an unknown distribution is not met"
req 'hearth-no-such-dist; python_version < "3"' || fail "a requirement for Python 2 not skipped"
echo "ok - a requirement whose marker is false is skipped"
req "-r other.txt" && fail "-r met"
echo "ok - an option line (-r) needs pip"
# Vendored distributions in both layouts: an .egg-info file and a .dist-info directory
# whose name uses underscores for the dashes of the distribution's name.
mkdir -p "$T/req/.hearth/site/hearth_vend_two-2.1.dist-info"
printf 'Metadata-Version: 1.1\nName: hearth-vend-one\nVersion: 1.4\n' \
    >"$T/req/.hearth/site/hearth_vend_one-1.4.egg-info"
printf 'Metadata-Version: 2.1\nName: hearth-vend-two\nVersion: 2.1\n' \
    >"$T/req/.hearth/site/hearth_vend_two-2.1.dist-info/METADATA"
printf 'hearth-vend-one>=1.4\nHearth_Vend.Two==2.1\n' >"$T/req/requirements.txt"
$PYAPP requirements-met "$T/req" >/dev/null || fail "vendored egg-info / dist-info not found"
printf 'hearth-vend-two>2.1\n' >"$T/req/requirements.txt"
$PYAPP requirements-met "$T/req" >/dev/null && fail "hearth-vend-two>2.1 met by 2.1"
echo "ok - vendored .egg-info and .dist-info are read with their versions"
out=$(printf 'Flask>=99\nDjango\n' >"$T/req/requirements.txt" && $PYAPP requirements-met "$T/req")
expect_eq "the missing requirements are named" "$out" "Flask>=99"

# --- compile remembers a requirements check that passed, in the buildpack cache
comp() { # compile of $T/rq with the cache $T/rqc, its output in $T/rq.out
    sh "$BP/python/bin/compile" "$T/rq" "$T/rqc" >"$T/rq.out" 2>&1
}
cached() { grep -q "satisfied by the installed packages (as at the last staging)" "$T/rq.out"; }
checked() { grep -qx -- "-----> requirements.txt is satisfied by the installed packages" "$T/rq.out"; }
rm -rf "$T/rq" "$T/rqc" "$T/rqp" && mkdir -p "$T/rq/.hearth/site" "$T/rqc" "$T/rqp"
printf 'Name: hv\nVersion: 1.0\n' >"$T/rq/.hearth/site/hv.egg-info"
printf 'Flask\nhv==1.0\n' >"$T/rq/requirements.txt"
comp && checked || fail "first check: $(cat "$T/rq.out")"
comp && cached || fail "the same requirements again were checked anew: $(cat "$T/rq.out")"
echo "ok - the same requirements and packages again: the check is skipped"
printf 'Flask\nhv==1.0\nDjango\n' >"$T/rq/requirements.txt"
comp && checked || fail "a changed requirements.txt was not checked: $(cat "$T/rq.out")"
echo "ok - a changed requirements.txt is checked again"
comp && cached || fail "not cached after the change: $(cat "$T/rq.out")"
printf 'Name: hv\nVersion: 2.0\n' >"$T/rq/.hearth/site/hv.egg-info"
PIP_INDEX_URL=http://127.0.0.1:9/simple comp
grep -q "Not installed: hv==1.0" "$T/rq.out" || fail "a changed vendored version was not checked: $(cat "$T/rq.out")"
echo "ok - a changed vendored package is checked again"
printf 'Name: hv\nVersion: 1.0\n' >"$T/rq/.hearth/site/hv.egg-info"
printf 'Flask\nhx==3\n' >"$T/rq/requirements.txt"
mkdir -p "$T/rqp/hx-3.dist-info" && printf 'Name: hx\nVersion: 3\n' >"$T/rqp/hx-3.dist-info/METADATA"
PYTHONPATH="$T/rqp" comp && checked || fail "hx from PYTHONPATH: $(cat "$T/rq.out")"
PYTHONPATH="$T/rqp" comp && cached || fail "hx again: $(cat "$T/rq.out")"
mv "$T/rqp/hx-3.dist-info" "$T/rqp/hx-2.dist-info"
sed -i 's/Version: 3/Version: 2/' "$T/rqp/hx-2.dist-info/METADATA"
PYTHONPATH="$T/rqp" PIP_INDEX_URL=http://127.0.0.1:9/simple comp
grep -q "Not installed: hx==3" "$T/rq.out" || fail "a package replaced in a searched directory: $(cat "$T/rq.out")"
echo "ok - a package replaced in a searched directory is checked again"

# --- pyapp.py wsgi-entry
entry() { # FILE CONTENT [FILE CONTENT]: the entry detected in a tree with these files
    rm -rf "$T/e" && mkdir -p "$T/e"
    while [ $# -ge 2 ]; do
        mkdir -p "$(dirname "$T/e/$1")"
        printf '%s\n' "$2" >"$T/e/$1"
        shift 2
    done
    $PYAPP wsgi-entry "$T/e"
}
expect_eq "flask.Flask in main.py" "$(entry main.py $'import flask\napi = flask.Flask(__name__)')" "main:api"
expect_eq "def application in application.py" \
    "$(entry application.py 'def application(environ, start_response):')" "application:application"
expect_eq "wsgi.py wins over app.py" \
    "$(entry app.py 'app = Flask(__name__)' wsgi.py 'application = 1')" "wsgi:application"
expect_eq "Django settings module from manage.py" \
    "$(entry manage.py 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site1.settings")' \
        site1/wsgi.py 'application = 1' aaa/wsgi.py 'application = 1')" "site1.wsgi:application"
expect_eq "a script with no WSGI object" "$(entry app.py 'print(1)')" ""

# --- pyapp.py wsgi-server: the entry and its server in one interpreter start
rm -rf "$T/e" && mkdir -p "$T/e" && printf 'app = Flask(__name__)\n' >"$T/e/app.py"
expect_eq "wsgi-server with the host's gunicorn" "$($PYAPP wsgi-server "$T/e")" "app:app gunicorn"
mkdir -p "$T/e/gunicorn" && echo 'raise ImportError("broken")' >"$T/e/gunicorn/__init__.py"
expect_eq "wsgi-server when gunicorn does not import" "$($PYAPP wsgi-server "$T/e")" "app:app wsgiref"
printf 'print(1)\n' >"$T/e/app.py"
expect_eq "wsgi-server without an entry" "$($PYAPP wsgi-server "$T/e")" ""
echo PASS
