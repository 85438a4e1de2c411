"""Serves the static site in the current directory (public/ when present) on $PORT.
Dot files (this script, .git ...) are never served."""
import http.server
import os
import socketserver

root = "public" if os.path.isdir("public") else "."


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def send_head(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if any(seg.startswith(".") for seg in path.split("/") if seg):
            self.send_error(404)
            return None
        return super().send_head()

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def server_bind(self):  # no getfqdn(): containers may have no resolver
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "static", self.server_address[1]


Server(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
