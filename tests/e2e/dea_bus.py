#!/usr/bin/env python3
"""Bus helper for the DEA e2e tests, speaking the NATS text protocol directly.

  dea_bus.py rec HOST:PORT OUTFILE             record every message as a JSON line
                                               {"subject":..., "data":...} (flushed per line)
  dea_bus.py pub HOST:PORT SUBJECT DATA        publish one message and exit
  dea_bus.py req HOST:PORT SUBJECT DATA SECS [N]  request; print every reply (one per
                                               line) received within SECS seconds (or the
                                               first N)
  dea_bus.py wait FILE SECS PYEXPR             wait until a recorded line satisfies PYEXPR
                                               (names: s = subject, d = parsed data); print
                                               the data and exit 0, or exit 1 on timeout
"""
import json
import socket
import sys
import time


def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    f = s.makefile("rb")
    f.readline()  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"dea-e2e"}\r\n')
    return s, f


def pub(s, subject, data, reply=None):
    b = data.encode()
    s.sendall(f"PUB {subject} {reply + ' ' if reply else ''}{len(b)}\r\n".encode() + b + b"\r\n")


def read_msgs(s, f):
    while True:
        line = f.readline()
        if not line:
            return
        line = line.decode().rstrip("\r\n")
        if line == "PING":
            s.sendall(b"PONG\r\n")
            continue
        if not line.startswith("MSG "):
            continue
        parts = line.split(" ")
        n = int(parts[-1])
        data = f.read(n + 2)[:n].decode(errors="replace")
        yield parts[1], data


def main():
    mode = sys.argv[1]
    if mode == "wait":
        path, secs, expr = sys.argv[2], float(sys.argv[3]), sys.argv[4]
        end = time.time() + secs
        while time.time() < end:
            try:
                lines = open(path).read().splitlines()
            except FileNotFoundError:
                lines = []
            for l in lines:
                try:
                    m = json.loads(l)
                    s, d = m["subject"], json.loads(m["data"] or "null")
                except ValueError:
                    continue
                try:
                    if eval(expr, {}, {"s": s, "d": d}):
                        print(json.dumps(d))
                        return 0
                except Exception:
                    pass
            time.sleep(0.1)
        return 1
    s, f = connect(sys.argv[2])
    if mode == "rec":
        s.settimeout(None)
        s.sendall(b"SUB > 1\r\nPING\r\n")
        with open(sys.argv[3], "a") as out:
            for subject, data in read_msgs(s, f):
                out.write(json.dumps({"subject": subject, "data": data}) + "\n")
                out.flush()
    elif mode == "pub":
        pub(s, sys.argv[3], sys.argv[4])
        s.sendall(b"PING\r\n")
        f.readline()
    elif mode == "req":
        inbox = "_INBOX.dea_e2e_%d" % time.time_ns()
        s.sendall(f"SUB {inbox} 1\r\n".encode())
        pub(s, sys.argv[3], sys.argv[4], inbox)
        s.settimeout(float(sys.argv[5]))
        try:
            want = int(sys.argv[6]) if len(sys.argv) > 6 else 0
            for _, data in read_msgs(s, f):
                print(data, flush=True)
                want -= 1
                if want == 0:
                    break
        except socket.timeout:
            pass
    return 0


sys.exit(main())
