"""A tiny HTTP app (standard library only): GET / says hello, GET /env shows the environment."""
import http.server
import json
import os
import socketserver


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


class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        # HTTPServer's own server_bind resolves the host name (getfqdn), which waits for a
        # DNS timeout in a container without a resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "app", self.server_address[1]


Server(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
