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
  dea_bus.py slog FILE TASK SECS [TEXT]        the live staging log of TASK as recorded in
                                               FILE: waits until the pieces so far contain
                                               TEXT (or, without TEXT, until the done message
                                               and the final reply), checks seq order, piece
                                               size and that done came before the reply, and
                                               prints the concatenated pieces (exit 1: timeout
                                               or a broken contract, with the reason on stderr)
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


def slog_scan(path, task):
    """(text so far, done seen, reply seen, error or None) from the recorded messages."""
    subject = "staging.%s.log" % task
    text, seq, done, reply = [], 0, False, False
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        lines = []
    for l in lines:
        try:
            m = json.loads(l)
            d = json.loads(m["data"] or "null")
        except ValueError:
            continue
        if not isinstance(d, dict):
            continue
        if m["subject"] == subject:
            if d.get("task_id") != task or d.get("seq") != seq:
                return "", done, reply, "bad task_id/seq in %r (want seq %d)" % (d, seq)
            seq += 1
            if done:
                return "", done, reply, "a piece after done: %r" % d
            if d.get("done") is True:
                done = True
                continue
            data = d.get("data")
            if not isinstance(data, str) or len(data.encode()) > 8192 or not data:
                return "", done, reply, "bad piece %r" % d
            text.append(data)
        elif d.get("task_id") == task and "task_log" in d:
            if not done:
                return "", done, reply, "the reply came before the done message"
            reply = True
    return "".join(text), done, reply, None


def slog(path, task, secs, want):
    end = time.time() + secs
    while time.time() < end:
        text, done, reply, err = slog_scan(path, task)
        if err:
            print(err, file=sys.stderr)
            return 1
        if (want is not None and want in text) or (want is None and done and reply):
            sys.stdout.write(text)
            return 0
        time.sleep(0.05)
    print("timeout", file=sys.stderr)
    return 1


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
    if mode == "slog":
        return slog(sys.argv[2], sys.argv[3], float(sys.argv[4]),
                    sys.argv[5] if len(sys.argv) > 5 else None)
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
