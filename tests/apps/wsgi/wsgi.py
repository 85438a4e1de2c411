"""A plain WSGI app (no framework): GET / says hello with the instance index and the worker's pid."""
import json
import os


def application(environ, start_response):
    app = json.loads(os.environ.get("VCAP_APPLICATION", "{}"))
    body = ("hello from wsgi, index %s, pid %d\n" % (app.get("instance_index"), os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
