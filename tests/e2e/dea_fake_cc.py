#!/usr/bin/env python3
"""The CC's staging endpoints for the DEA tests: GET /pkg/NAME serves DIR/NAME, POST /drop/NAME
stores the body as DIR/NAME.  Usage: dea_fake_cc.py PORT DIR"""
import http.server
import os
import sys

D = sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        p = os.path.join(D, os.path.basename(self.path))
        if not self.path.startswith("/pkg/") or not os.path.isfile(p):
            self.send_error(404)
            return
        b = open(p, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        b = self.rfile.read(n)
        if not self.path.startswith("/drop/"):
            self.send_error(404)
            return
        open(os.path.join(D, os.path.basename(self.path)), "wb").write(b)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *a):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
