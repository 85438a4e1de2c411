#!/usr/bin/env python3
"""HTTP client for the HM tests and bench that go through hearth-router.

  hm_client.py hammer PORT HOST OUTFILE
      GET / with Host: HOST on 127.0.0.1:PORT in a loop (keep-alive, 10 s timeout) until
      SIGTERM; one line per request in OUTFILE: "<unix time> <status> <index>" (status 0:
      connection error or timeout; index: the instance index the app printed, or -).
  hm_client.py kill PORT HOST PID INDEX DEADLINE_S
      Waits until the route answers 200, sends SIGKILL to PID (the process of instance INDEX),
      then GETs in a loop until an answer from INDEX comes back (its replacement: the killed
      process cannot answer) or DEADLINE_S passes. Prints one JSON line: {"recovered": bool,
      "mttr": seconds from the kill to that first 200 of INDEX, "failed": non-200 answers and
      errors after the kill, "requests": requests after the kill, "t_kill": unix time}.

  hm_client.py rec NATS_HOST:PORT OUTFILE SUBJECT...
      Records every message on the subjects as a JSON line {"t": unix time, "subject", "data"}
      in OUTFILE (flushed per line) until killed.

The apps used print "... index N" in their body (tests/apps/python-http).
"""
import http.client
import json
import os
import re
import signal
import socket
import sys
import time

IDX = re.compile(rb"index (\d+)")


class Client:
    def __init__(self, port, host, timeout=10.0):
        self.port, self.host, self.timeout = port, host, timeout
        self.conn = None

    def get(self):
        """One GET: (status, index or None); status 0 on a connection error."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request("GET", "/", headers={"Host": self.host})
            r = self.conn.getresponse()
            body = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            m = IDX.search(body)
            return r.status, int(m.group(1)) if m else None
        except (OSError, http.client.HTTPException):
            # Counted as failed: the router's keep-alive timeout (15 min) is far longer than
            # a run, so a reset connection is a failure, not an idle close.
            self.close()
            return 0, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def hammer(port, host, path):
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    c = Client(port, host)
    with open(path, "a") as out:
        while not stop[0]:
            status, idx = c.get()
            out.write("%.6f %d %s\n" % (time.time(), status, "-" if idx is None else idx))
            out.flush()
            if status != 200:
                time.sleep(0.005)
    c.close()


def kill(port, host, pid, index, deadline):
    c = Client(port, host)
    end = time.time() + 60
    while c.get()[0] != 200:
        if time.time() > end:
            print(json.dumps({"recovered": False, "error": "route never answered"}))
            return 1
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    t0 = time.time()
    failed = n = 0
    mttr = None
    while time.time() - t0 < deadline:
        status, idx = c.get()
        n += 1
        if status != 200:
            failed += 1
            time.sleep(0.002)
        elif idx == index:
            mttr = time.time() - t0
            break
    c.close()
    print(json.dumps({"recovered": mttr is not None, "mttr": mttr, "failed": failed, "requests": n,
                      "t_kill": t0}))
    return 0


def rec(addr, path, subjects):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    f = s.makefile("rb")
    f.readline()  # INFO
    subs = "".join("SUB %s %d\r\n" % (subj, i + 1) for i, subj in enumerate(subjects))
    s.sendall(b'CONNECT {"verbose":false}\r\n' + subs.encode() + b"PING\r\n")
    with open(path, "a") as out:
        while True:
            line = f.readline()
            if not line:
                return
            if line.startswith(b"PING"):
                s.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG "):
                parts = line.split()
                data = f.read(int(parts[-1]) + 2)[:-2]
                out.write(json.dumps({"t": time.time(), "subject": parts[1].decode(),
                                      "data": data.decode(errors="replace")}) + "\n")
                out.flush()


def main():
    mode = sys.argv[1]
    if mode == "rec":
        rec(sys.argv[2], sys.argv[3], sys.argv[4:])
        return 0
    port, host = int(sys.argv[2]), sys.argv[3]
    if mode == "hammer":
        hammer(port, host, sys.argv[4])
        return 0
    if mode == "kill":
        return kill(port, host, int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
