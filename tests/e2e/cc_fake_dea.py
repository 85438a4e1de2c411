#!/usr/bin/env python3
"""A stand-in DEA for the CC tests, speaking the NATS text protocol directly.

  cc_fake_dea.py dea HOST:PORT ID OUTFILE   advertise as DEA ID every 0.5 s, record every
                                            bus message as a JSON line in OUTFILE, answer
                                            staging.ID.start by downloading the package,
                                            uploading a droplet and replying (for apps
                                            named slowlog*: a live staging log first,
                                            finished once OUTFILE.release exists; for
                                            apps named slowreply*: the reply only once
                                            OUTFILE.reply exists, after the upload).
  cc_fake_dea.py pub HOST:PORT SUBJECT DATA publish one message and exit.
"""
import base64
import hashlib
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.request


def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    f = s.makefile("rb")
    f.readline()  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"fake-dea"}\r\n')
    return s, f


def pub(s, lock, subject, data, reply=None):
    b = data.encode() if isinstance(data, str) else data
    head = f"PUB {subject} {reply + ' ' if reply else ''}{len(b)}\r\n".encode()
    with lock:
        s.sendall(head + b + b"\r\n")


def live_log(s, lock, req, gate):
    """Publishes the live log of an app named slowlog*: two chunks slowly, then a duplicate and
    a chunk from the future (both to be dropped), then waits until the file `gate` exists
    before the last chunk and the done message."""
    subj = f"staging.{req['task_id']}.log"
    def chunk(seq, data=None, done=False):
        m = {"task_id": req["task_id"], "seq": seq}
        if done:
            m["done"] = True
        else:
            m["data"] = data
        pub(s, lock, subj, json.dumps(m))
    chunk(0, "-----> live step one\n")
    time.sleep(0.3)
    chunk(1, "-----> live step two \u00e9\n")
    time.sleep(0.3)
    chunk(1, "DUPLICATE\n")
    chunk(7, "FUTURE\n")
    pub(s, lock, subj, "not json")
    for _ in range(600):
        if os.path.exists(gate):
            break
        time.sleep(0.1)
    chunk(2, "-----> live step three\n")
    chunk(3, done=True)


def stage(s, lock, req, reply, gate):
    out = {"task_id": req.get("task_id"), "task_log": "-----> fake buildpack\nstaged ok\n",
           "detected_buildpack": "fake"}
    if str(req.get("name", "")).startswith("slowlog"):
        live_log(s, lock, req, gate)
        out["task_log"] = "-----> final log of the task\n"
    try:
        pkg = urllib.request.urlopen(req["download_uri"], timeout=10).read()
        droplet = b"droplet of " + hashlib.sha1(pkg).hexdigest().encode()
        r = urllib.request.Request(req["upload_uri"], data=droplet, method="POST",
                                   headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(r, timeout=10).read()
    except Exception as e:  # the CC sees the failure in the reply
        out["error"] = f"fake staging failed: {e}"
    if str(req.get("name", "")).startswith("slowreply"):
        for _ in range(600):
            if os.path.exists(gate[: -len(".release")] + ".reply"):
                break
            time.sleep(0.1)
    pub(s, lock, reply, json.dumps(out))


class Files(http.server.BaseHTTPRequestHandler):
    """The DEA file server stand-in: /droplets/<staged>/<path> -> "file <path>" (basic auth)."""
    def do_GET(self):
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"fu:fp").decode():
            self.send_response(401)
            self.end_headers()
            return
        body = ("file " + self.path).encode()
        status, extra = 200, {"Accept-Ranges": "bytes"}
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and "," not in rng:
            a, _, b = rng[6:].partition("-")
            n = len(body)
            if a == "":
                first, last = max(0, n - int(b)), n - 1
            else:
                first, last = int(a), min(int(b), n - 1) if b else n - 1
            if first >= n or first > last:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{n}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, body = 206, body[first:last + 1]
            extra["Content-Range"] = f"bytes {first}-{last}/{n}"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def run_dea(addr, dea_id, outfile):
    files = http.server.HTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    file_uri = f"http://127.0.0.1:{files.server_address[1]}/droplets/"
    running = {}  # (droplet, index) -> start message
    s, f = connect(addr)
    lock = threading.Lock()
    with lock:
        s.sendall(b"SUB > 1\r\n")
    def advertise():
        while True:
            pub(s, lock, "dea.advertise",
                json.dumps({"id": dea_id, "available_memory": 4096, "app_id_to_count": {},
                            "stacks": ["test-stack"]}))
            time.sleep(0.5)
    threading.Thread(target=advertise, daemon=True).start()
    out = open(outfile, "a")
    s.settimeout(None)
    while True:
        line = f.readline()
        if not line:
            return
        line = line.rstrip(b"\r\n")
        if line == b"PING":
            with lock:
                s.sendall(b"PONG\r\n")
            continue
        if not line.startswith(b"MSG "):
            continue
        parts = line.decode().split(" ")
        subject, reply, n = parts[1], (parts[3] if len(parts) == 5 else None), int(parts[-1])
        data = f.read(n + 2)[:n].decode(errors="replace")
        if subject == "dea.advertise":
            continue
        out.write(json.dumps({"subject": subject, "reply": reply, "data": data}) + "\n")
        out.flush()
        if subject == f"dea.{dea_id}.start":
            m = json.loads(data)
            running[(m["droplet"], m["index"])] = m
        elif subject == "dea.stop":
            m = json.loads(data)
            for k in list(running):
                if k[0] == m["droplet"] and ("indices" not in m or k[1] in m["indices"]):
                    del running[k]
        elif subject == "dea.find.droplet" and reply:
            m = json.loads(data)
            for (d, i), st in sorted(running.items()):
                if d != m["droplet"] or ("indices" in m and i not in m["indices"]):
                    continue
                r = {"dea": dea_id, "droplet": d, "index": i, "instance": f"inst-{i}",
                     "state": "RUNNING", "state_timestamp": 1700000000 + i,
                     "file_uri": file_uri, "credentials": ["fu", "fp"], "staged": f"st-{i}"}
                if m.get("include_stats"):
                    r["stats"] = {"name": st["name"], "uptime": 1.5, "mem_quota": 1}
                pub(s, lock, reply, json.dumps(r))
        if subject == f"staging.{dea_id}.start" and reply:
            threading.Thread(target=stage, args=(s, lock, json.loads(data), reply,
                                                 outfile + ".release"), daemon=True).start()


def main():
    if sys.argv[1] == "dea":
        run_dea(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "pub":
        s, f = connect(sys.argv[2])
        lock = threading.Lock()
        pub(s, lock, sys.argv[3], sys.argv[4])
        s.sendall(b"PING\r\n")
        while f.readline().strip() != b"PONG":
            pass
        s.close()


if __name__ == "__main__":
    main()
