#!/usr/bin/env python3
"""Serves a fixed answer to GET /v2/catalog, to show how the CC treats a broker whose catalog
is wrong: catalog_server.py PORTFILE STATUS BODYFILE (writes its port to PORTFILE)."""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open(sys.argv[3], "rb").read()
        self.send_response(int(sys.argv[2]))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os

os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
