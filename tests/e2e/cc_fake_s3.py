#!/usr/bin/env python3
"""A minimal S3 stand-in for the CC tests (objects in memory, path-style URLs). It does not
verify signatures; it refuses any request without an AWS SigV4 Authorization header and an
x-amz-date, so the test sees that every call is signed.
   cc_fake_s3.py PORTFILE LOGFILE"""
import http.server
import sys

objects = {}


class S3(http.server.BaseHTTPRequestHandler):
    def signed(self):
        auth = self.headers.get("Authorization", "")
        ok = auth.startswith("AWS4-HMAC-SHA256 Credential=AKTEST/") and "/s3/aws4_request" in auth \
            and self.headers.get("x-amz-date")
        with open(sys.argv[2], "a") as f:
            f.write(f"{self.command} {self.path} {'signed' if ok else 'UNSIGNED'}\n")
        if not ok:
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
        return ok

    def do_HEAD(self):
        if not self.signed():
            return
        o = objects.get(self.path)
        self.send_response(200 if o is not None else 404)
        self.send_header("Content-Length", str(len(o) if o is not None else 0))
        self.end_headers()

    def do_GET(self):
        if not self.signed():
            return
        o = objects.get(self.path)
        self.send_response(200 if o is not None else 404)
        self.send_header("Content-Length", str(len(o) if o is not None else 0))
        self.end_headers()
        if o is not None:
            self.wfile.write(o)

    def do_PUT(self):
        if not self.signed():
            return
        n = int(self.headers.get("Content-Length", 0))
        objects[self.path] = self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_DELETE(self):
        if not self.signed():
            return
        objects.pop(self.path, None)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), S3)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
