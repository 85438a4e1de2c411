"""Checks an app's bound services from the inside.

GET /env                          VCAP_SERVICES as the app received it
GET /redis?op=set&key=K&value=V   SET through the first "redis" service's credentials
GET /redis?op=get&key=K           GET, answers {"value": ...}
Redis is spoken directly (RESP over a socket), logging in with the binding's ACL user. `via=IP`
connects to IP instead of the credentials' hostname (the port stays the credentials'), for
tests whose services listen on the host's loopback.

GET /pg?op=put&key=K&value=V      upsert into table kv of the first "postgresql" service's database
GET /pg?op=get&key=K              answers {"value": ...} (null when the key is not there)
GET /mysql?op=put|get...          the same through the first "mysql" service (MariaDB)
GET /amqp?op=publish&value=V      publish to queue `check` (declared, durable; `queue=Q` for
                                  another) in the first "rabbitmq" service's vhost
GET /amqp?op=get                  basic_get from that queue: {"value": ...} (null when empty)
These use Debian's python3-psycopg2, python3-pymysql and python3-pika. Each takes overrides of
the credentials: `db=NAME` (database or vhost), `user=U`, `password=P`, `via=IP`, and
`service=LABEL` picks another label's first instance; `n=I` picks the I-th instance.
Every request opens its own connection, so a refused login shows at once.
Errors answer 502 with {"error": ...}.
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


def creds(label, query):
    """The credentials of the first (or n-th) instance of label, with the query's overrides."""
    label = query.get("service", [label])[0]
    svc = services().get(label)
    if not svc:
        raise IOError("no %s service in VCAP_SERVICES" % label)
    c = dict(svc[int(query.get("n", ["0"])[0])]["credentials"])
    c["hostname"] = query.get("via", [c["hostname"]])[0]
    for k, ck in (("db", "name"), ("user", "username"), ("password", "password")):
        if k in query:
            c[ck] = query[k][0]
    return c


def kv(cur, query, create, upsert):
    """op=put: key=value through upsert; else the value of key (None when there is none)."""
    cur.execute(create)
    key = query["key"][0]
    if query.get("op", ["get"])[0] == "put":
        cur.execute(upsert, (key, query["value"][0]))
        return {"result": "OK"}
    cur.execute("SELECT v FROM kv WHERE k = %s", (key,))
    row = cur.fetchone()
    return {"value": row[0] if row else None}


def pg(query):
    import psycopg2

    c = creds("postgresql", query)
    conn = psycopg2.connect(host=c["hostname"], port=int(c["port"]), user=c["username"],
                            password=c["password"], dbname=c["name"], connect_timeout=10)
    try:
        with conn, conn.cursor() as cur:
            return kv(cur, query, "CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text)",
                      "INSERT INTO kv VALUES (%s, %s) ON CONFLICT (k) DO UPDATE SET v = excluded.v")
    finally:
        conn.close()


def mysql(query):
    import pymysql

    c = creds("mysql", query)
    conn = pymysql.connect(host=c["hostname"], port=int(c["port"]), user=c["username"],
                           password=c["password"], database=c["name"], connect_timeout=10,
                           autocommit=True)
    try:
        with conn.cursor() as cur:
            return kv(cur, query, "CREATE TABLE IF NOT EXISTS kv (k VARCHAR(255) PRIMARY KEY, v TEXT)",
                      "REPLACE INTO kv VALUES (%s, %s)")
    finally:
        conn.close()


def amqp(query):
    import pika

    c = creds("rabbitmq", query)
    vhost = query.get("db", [c.get("vhost", c["name"])])[0]
    params = pika.ConnectionParameters(
        host=c["hostname"], port=int(c["port"]), virtual_host=vhost,
        credentials=pika.PlainCredentials(c["username"], c["password"]),
        socket_timeout=10, blocked_connection_timeout=10, connection_attempts=1)
    conn = pika.BlockingConnection(params)
    try:
        ch = conn.channel()
        queue = query.get("queue", ["check"])[0]
        ch.queue_declare(queue=queue, durable=True)
        if query.get("op", ["get"])[0] == "publish":
            ch.basic_publish(exchange="", routing_key=queue, body=query["value"][0].encode())
            return {"result": "OK"}
        method, _, body = ch.basic_get(queue=queue, auto_ack=True)
        return {"value": body.decode() if method else None}
    finally:
        conn.close()


ROUTES = {"/redis": redis, "/pg": pg, "/mysql": mysql, "/amqp": amqp}


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        status = 200
        try:
            if url.path == "/env":
                body = services()
            elif url.path in ROUTES:
                body = ROUTES[url.path](urllib.parse.parse_qs(url.query))
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
