"""Checks an app's bound services from the inside (standard library only).

GET /env                          VCAP_SERVICES as the app received it
GET /redis?op=set&key=K&value=V   SET through the first "redis" service's credentials
GET /redis?op=get&key=K           GET, answers {"value": ...}
Redis is spoken directly (RESP over a socket), logging in with the binding's ACL user. `via=IP`
connects to IP instead of the credentials' hostname (the port stays the credentials'), for
tests whose services listen on the host's loopback. Errors answer 502 with {"error": ...}.
"""
import http.server
import json
import os
import socket
import socketserver
import urllib.parse


def services():
    return json.loads(os.environ.get("VCAP_SERVICES") or "{}")


def resp_cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def resp_read(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise IOError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise IOError("redis: " + rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode()
    raise IOError("unexpected reply %r" % line)


def redis(query):
    svc = services().get("redis")
    if not svc:
        raise IOError("no redis service in VCAP_SERVICES")
    c = svc[0]["credentials"]
    host = query.get("via", [c["hostname"]])[0]
    with socket.create_connection((host, int(c["port"])), timeout=10) as s:
        f = s.makefile("rb")

        def call(*a):
            s.sendall(resp_cmd(*a))
            return resp_read(f)

        call("AUTH", c["username"], c["password"])
        op = query.get("op", ["get"])[0]
        key = query["key"][0]
        if op == "set":
            return {"result": call("SET", key, query["value"][0])}
        return {"value": call("GET", key)}


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        status = 200
        try:
            if url.path == "/env":
                body = services()
            elif url.path == "/redis":
                body = redis(urllib.parse.parse_qs(url.query))
            else:
                body = {"app": "services-check"}
        except Exception as e:  # the test reads the reason
            status, body = 502, {"error": "%s: %s" % (type(e).__name__, e)}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        # No getfqdn: a container without a resolver would wait for a DNS timeout.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "app", self.server_address[1]


Server(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
