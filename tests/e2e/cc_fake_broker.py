#!/usr/bin/env python3
"""A stand-in Open Service Broker API v2 server for the CC tests.
   cc_fake_broker.py PORTFILE LOGFILE: serves on a free port (written to PORTFILE) and
   appends "METHOD PATH" of every request to LOGFILE."""
import http.server
import json
import sys

CATALOG = {"services": [
    {"id": "svc-pg", "name": "postgresql", "description": "PostgreSQL database",
     "bindable": True, "plans": [{"id": "plan-small", "name": "small", "description": "s"}]},
    {"id": "svc-redis", "name": "redis", "description": "Redis",
     "bindable": True, "plans": [{"id": "plan-r", "name": "default", "description": "d"}]},
]}


class Broker(http.server.BaseHTTPRequestHandler):
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log(self):
        with open(sys.argv[2], "a") as f:
            f.write(f"{self.command} {self.path}\n")

    def do_GET(self):
        self.log()
        if self.path == "/v2/catalog" and self.headers.get("X-Broker-API-Version"):
            self.reply(200, CATALOG)
        else:
            self.reply(404, {})

    def do_PUT(self):
        self.log()
        n = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(n) or b"{}")
        if body.get("plan_id") not in ("plan-small", "plan-r"):
            self.reply(400, {"error": "bad plan"})
        elif "/service_bindings/" in self.path:
            if not body.get("app_guid"):
                self.reply(400, {"error": "no app"})
            else:
                self.reply(201, {"credentials": {"uri": "postgres://bound@127.0.0.1/db"}})
        else:
            self.reply(201, {"credentials": {"uri": "postgres://u:p@127.0.0.1/db"}})

    def do_DELETE(self):
        self.log()
        self.reply(200, {})

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Broker)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
