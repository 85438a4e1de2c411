"""The app the DEA's log, stats, drain and health check e2e tests run in a container
(python3 -u app.py).

Every GET answers 200 "ok" unless said otherwise; some paths first start something the test
then observes:
  /go    writes 20000 numbered lines (~860 KB) to stdout in bursts, then "spam done" to stderr
  /spin  burns a CPU in a thread until /rest
  /hold  holds 64 MB of touched memory and writes 8 MB to $HOME/blob
  /say/TEXT, /err/TEXT  writes the line TEXT to stdout, to stderr
  /health  503 to its first 3 requests, then 200; /never  always 503; /flip  200 to its first
           2, then 503 (an app that falls sick once running); /seen  JSON: how many of each
           came, and the Host of the last /health
"""
import http.server
import json
import os
import socketserver
import sys
import threading
import time

held = []
spinning = [False]
lock = threading.Lock()
seen = {"health": 0, "flip": 0, "host": None}


def spam():
    for i in range(20000):
        sys.stdout.write("line %06d %s\n" % (i, "x" * 30))
        if i % 250 == 249:
            sys.stdout.flush()
            time.sleep(0.05)
    sys.stdout.flush()
    sys.stderr.write("spam done\n")
    sys.stderr.flush()


def burn():
    while spinning[0]:
        pass


def hold():
    held.append(bytearray(64 << 20))
    for i in range(0, len(held[-1]), 4096):
        held[-1][i] = 1
    with open(os.path.join(os.environ["HOME"], "blob"), "wb") as f:
        f.write(os.urandom(8 << 20))


def health(path, host):
    """(status, body) of the health check paths."""
    with lock:
        if path == "/health":
            seen["health"] += 1
            seen["host"] = host
            return (503 if seen["health"] <= 3 else 200), b"ok\n"
        if path == "/flip":
            seen["flip"] += 1
            return (200 if seen["flip"] <= 2 else 503), b"ok\n"
        if path == "/seen":
            return 200, json.dumps(seen).encode()
    return 503, b"ok\n"  # /never


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = 200, b"ok\n"
        if self.path in ("/health", "/flip", "/seen", "/never"):
            code, body = health(self.path, self.headers.get("Host"))
        elif self.path == "/go":
            threading.Thread(target=spam, daemon=True).start()
        elif self.path == "/spin":
            spinning[0] = True
            threading.Thread(target=burn, daemon=True).start()
        elif self.path == "/rest":
            spinning[0] = False
        elif self.path == "/hold":
            hold()
        elif self.path.startswith(("/say/", "/err/")):
            out = sys.stderr if self.path.startswith("/err/") else sys.stdout
            out.write(self.path[5:] + "\n")
            out.flush()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class S(http.server.ThreadingHTTPServer):
    def server_bind(self):
        # No reverse lookup of the bind address (getfqdn): the container has no resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "app", self.server_address[1]


S(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
