"""A tiny HTTP app (standard library only): GET / says hello, GET /env shows the environment."""
import http.server
import json
import os


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/env":
            body = json.dumps(dict(os.environ)).encode()
        else:
            app = json.loads(os.environ.get("VCAP_APPLICATION", "{}"))
            body = ("hello from python, index %s\n" % app.get("instance_index")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
