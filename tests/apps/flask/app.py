"""A small Flask app: GET / says hello with its instance index, GET /env shows VCAP_* and PORT,
GET /redis PINGs the first bound redis with the credentials from VCAP_SERVICES."""
import json
import os
import socket

from flask import Flask, jsonify

app = Flask(__name__)


def _vcap_application():
    return json.loads(os.environ.get("VCAP_APPLICATION", "{}"))


@app.route("/")
def hello():
    return "hello from flask, index %s\n" % _vcap_application().get("instance_index")


@app.route("/env")
def env():
    keys = ("PORT", "VCAP_APPLICATION", "VCAP_SERVICES", "MEMORY_LIMIT")
    return jsonify({k: os.environ.get(k) for k in keys})


def _resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


@app.route("/redis")
def redis_ping():
    services = json.loads(os.environ.get("VCAP_SERVICES") or "{}")
    if not services.get("redis"):
        return "no redis bound\n", 404
    c = services["redis"][0]["credentials"]
    try:
        with socket.create_connection((c["hostname"], int(c["port"])), timeout=5) as s:
            s.sendall(_resp("AUTH", c["username"], c["password"]) + _resp("PING"))
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except OSError as e:
        return "redis unreachable: %s\n" % e, 502
    return reply.decode(errors="replace").split("\r\n")[1] + "\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
