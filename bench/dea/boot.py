#!/usr/bin/env python3
"""Timing helper for bench/dea/run.

  boot.py floor APPDIR CMD N
      starts CMD (sh -c) in APPDIR with PORT/HOME set, N times, and prints the time in ms
      from the spawn to its first 200 on 127.0.0.1:PORT, one per line.
  boot.py hearth NATS DEA_ID ROUTER_PORT START_JSON N
      N times: publishes dea.DEA_ID.start (START_JSON with a fresh droplet id and uri) and
      prints "total register" in ms: from the publish to the first 200 through the router
      (Host: the uri), and to the DEA's router.register; then stops the instance and waits
      for its droplet.exited.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

POLL_S = 0.002


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get_status(port, host, timeout=0.5):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", "/", headers={"Host": host})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except OSError:
        return 0


def floor(appdir, cmd, n):
    for _ in range(n):
        port = free_port()
        env = dict(os.environ, PORT=str(port), VCAP_APP_PORT=str(port), HOME=appdir,
                   VCAP_APPLICATION="{}", VCAP_SERVICES="{}")
        t0 = time.monotonic()
        p = subprocess.Popen(["sh", "-c", cmd], cwd=appdir, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while get_status(port, "127.0.0.1") != 200:
            if p.poll() is not None:
                sys.exit("floor: the app exited")
            time.sleep(POLL_S)
        print("%.1f" % ((time.monotonic() - t0) * 1000), flush=True)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


class Bus:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)))
        self.f = self.s.makefile("rb")
        self.f.readline()
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n')

    def sub(self, subject, sid):
        self.s.sendall(("SUB %s %d\r\n" % (subject, sid)).encode())

    def pub(self, subject, data):
        b = data.encode()
        self.s.sendall(("PUB %s %d\r\n" % (subject, len(b))).encode() + b + b"\r\n")

    def flush(self):
        self.s.sendall(b"PING\r\n")
        while self.f.readline().strip() != b"PONG":
            pass

    def poll(self, timeout):
        """The next (subject, data) within timeout seconds, or None."""
        self.s.settimeout(timeout)
        try:
            while True:
                line = self.f.readline()
                if not line:
                    return None
                line = line.decode().rstrip("\r\n")
                if line == "PING":
                    self.s.sendall(b"PONG\r\n")
                elif line.startswith("MSG "):
                    parts = line.split(" ")
                    n = int(parts[-1])
                    return parts[1], self.f.read(n + 2)[:n].decode()
        except (socket.timeout, TimeoutError):
            return None
        finally:
            self.s.settimeout(None)


def hearth(nats, dea_id, router_port, start_json, n):
    bus = Bus(nats)
    bus.sub("router.register", 1)
    bus.sub("droplet.exited", 2)
    bus.flush()
    base = json.loads(start_json)
    for i in range(n):
        app = "%s-%d-%d" % (base["droplet"], os.getpid(), i)
        uri = "%s.bench.test" % app
        msg = dict(base, droplet=app, name=app, uris=[uri])
        t0 = time.monotonic()
        bus.pub("dea.%s.start" % dea_id, json.dumps(msg))
        reg = None
        deadline = t0 + 60
        while True:
            m = bus.poll(0)
            while m:
                if m[0] == "router.register" and reg is None and uri in json.loads(m[1])["uris"]:
                    reg = time.monotonic()
                m = bus.poll(0)
            if get_status(router_port, uri) == 200:
                break
            if time.monotonic() > deadline:
                sys.exit("hearth: %s never answered through the router" % uri)
            time.sleep(POLL_S)
        t1 = time.monotonic()
        print("%.1f %.1f" % ((t1 - t0) * 1000, ((reg or t1) - t0) * 1000), flush=True)
        bus.pub("dea.stop", json.dumps({"droplet": app}))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = bus.poll(1)
            if m and m[0] == "droplet.exited" and json.loads(m[1]).get("droplet") == app:
                break
        time.sleep(0.2)  # let warden finish destroying the container


def main():
    if sys.argv[1] == "floor":
        floor(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "hearth":
        hearth(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))


main()
