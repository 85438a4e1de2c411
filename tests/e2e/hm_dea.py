#!/usr/bin/env python3
"""A simulated DEA for the HM end-to-end tests, speaking the NATS text protocol.

  hm_dea.py HOST:PORT DEA_ID OUTFILE HEARTBEAT_S [DROPLET_TGZ]

With DROPLET_TGZ it is only a stager for a real DEA: it uploads that file as the droplet and,
from then on, advertises no free memory so the CC places instances on the real DEA.

Advertises, stages (downloads the package, uploads a droplet), runs an "instance" for each
dea.DEA_ID.start (heartbeated as RUNNING every HEARTBEAT_S and once at start), obeys dea.stop
and healthmanager.start, records every bus message it sees as a JSON line {"t","subject",
"reply","data"} in OUTFILE, and reconnects when the bus goes away. Test control on subject
hmtest.ctl (JSON):
  {"cmd":"vanish","index":i}          forget instances of index i silently (like kill -9 of a DEA)
  {"cmd":"crash","index":i}           crash them (droplet.exited CRASHED)
  {"cmd":"crashloop","index":i}       from now on every instance of index i crashes at start
  {"cmd":"add","droplet":d,"version":v,"index":i,"instance":id}   run a rogue instance
"""
import hashlib
import json
import socket
import sys
import threading
import time
import urllib.request

lock = threading.Lock()
sock = None
instances = {}  # instance id -> {droplet, version, index}
crashloop = set()
seq = [0]
full = [False]  # stager mode: staged once, takes no instances


def send(raw):
    with lock:
        if sock is None:
            return
        try:
            sock.sendall(raw)
        except OSError:
            pass


def pub(subject, data, reply=None):
    b = data.encode() if isinstance(data, str) else data
    send(f"PUB {subject} {reply + ' ' if reply else ''}{len(b)}\r\n".encode() + b + b"\r\n")


def heartbeat(only=None):
    with lock:
        items = [dict(v, instance=k) for k, v in instances.items() if only is None or k == only]
    if only is None and not items:
        return
    pub("dea.heartbeat", json.dumps({"dea": DEA, "droplets": [
        {"droplet": i["droplet"], "version": i["version"], "instance": i["instance"],
         "index": i["index"], "state": "RUNNING", "state_timestamp": int(time.time())}
        for i in items]}))


def exited(inst, reason):
    pub("droplet.exited", json.dumps({"droplet": inst["droplet"], "version": inst["version"],
                                      "instance": inst["instance"], "index": inst["index"],
                                      "reason": reason, "crash_timestamp": int(time.time())}))


def stage(req, reply):
    out = {"task_id": req.get("task_id"), "task_log": "staged ok\n"}
    try:
        pkg = urllib.request.urlopen(req["download_uri"], timeout=10).read()
        droplet = b"droplet of " + hashlib.sha1(pkg).hexdigest().encode()
        if DROPLET:
            droplet = open(DROPLET, "rb").read()
            full[0] = True
        r = urllib.request.Request(req["upload_uri"], data=droplet, method="POST",
                                   headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(r, timeout=10).read()
    except Exception as e:
        out["error"] = f"staging failed: {e}"
    if full[0]:
        advertise()
        time.sleep(0.3)
    pub(reply, json.dumps(out))


def start(msg):
    seq[0] += 1
    iid = f"{DEA}-{msg['index']}-{seq[0]}"
    inst = {"droplet": msg["droplet"], "version": msg["version"], "index": msg["index"]}
    if msg["index"] in crashloop:
        time.sleep(0.05)
        exited(dict(inst, instance=iid), "CRASHED")
        return
    with lock:
        instances[iid] = inst
    heartbeat(iid)


def stop(msg):
    gone = []
    with lock:
        for k, v in list(instances.items()):
            if v["droplet"] != msg.get("droplet"):
                continue
            if "version" in msg and v["version"] != msg["version"]:
                continue
            if "instances" in msg and k not in msg["instances"]:
                continue
            if "indices" in msg and v["index"] not in msg["indices"]:
                continue
            gone.append(dict(instances.pop(k), instance=k))
    for g in gone:
        exited(g, "STOPPED")


def control(c):
    idx = c.get("index")
    if c["cmd"] == "crashloop":
        crashloop.add(idx)
        c = {"cmd": "crash", "index": idx}
    if c["cmd"] in ("vanish", "crash"):
        with lock:
            gone = [dict(instances.pop(k), instance=k)
                    for k, v in list(instances.items()) if v["index"] == idx]
        if c["cmd"] == "crash":
            for g in gone:
                exited(g, "CRASHED")
    elif c["cmd"] == "add":
        with lock:
            instances[c["instance"]] = {"droplet": c["droplet"], "version": c["version"],
                                        "index": idx}
        heartbeat(c["instance"])


def handle(subject, reply, data):
    try:
        if subject == f"staging.{DEA}.start" and reply:
            threading.Thread(target=stage, args=(json.loads(data), reply), daemon=True).start()
        elif subject == f"dea.{DEA}.start":
            threading.Thread(target=start, args=(json.loads(data),), daemon=True).start()
        elif subject == "dea.stop":
            stop(json.loads(data))
        elif subject == "healthmanager.start":
            heartbeat()
        elif subject == "hmtest.ctl":
            control(json.loads(data))
    except (ValueError, KeyError, TypeError) as e:
        print(f"bad message on {subject}: {e}", file=sys.stderr)


def advertise():
    pub("dea.advertise", json.dumps({"id": DEA, "available_memory": 0 if full[0] else 100000,
                                     "app_id_to_count": {}}))


def periodic():
    while True:
        advertise()
        heartbeat()
        time.sleep(HB)


def session(out):
    global sock
    host, port = ADDR.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    s.settimeout(None)
    f = s.makefile("rb")
    f.readline()
    with lock:
        sock = s
    send(b'CONNECT {"verbose":false,"pedantic":false,"name":"hm-test-dea"}\r\nSUB > 1\r\n')
    heartbeat()
    while True:
        line = f.readline()
        if not line:
            raise OSError("closed")
        if line.startswith(b"PING"):
            send(b"PONG\r\n")
            continue
        if not line.startswith(b"MSG "):
            continue
        parts = line.decode().split()
        subject, n = parts[1], int(parts[-1])
        reply = parts[3] if len(parts) == 5 else None
        data = f.read(n + 2)[:n].decode(errors="replace")
        out.write(json.dumps({"t": time.time(), "subject": subject, "reply": reply,
                              "data": data}) + "\n")
        out.flush()
        handle(subject, reply, data)


def main():
    global sock
    out = open(OUT, "a")
    threading.Thread(target=periodic, daemon=True).start()
    while True:
        try:
            session(out)
        except OSError:
            with lock:
                sock = None
            time.sleep(0.2)


if __name__ == "__main__":
    ADDR, DEA, OUT, HB = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    DROPLET = sys.argv[5] if len(sys.argv) > 5 else None
    main()
