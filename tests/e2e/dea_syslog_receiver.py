"""The syslog receiver of the DEA's drain e2e tests.

python3 dea_syslog_receiver.py PORT OUT [CERT KEY]
Listens on 127.0.0.1:PORT (TLS with CERT and KEY when given, as a syslog-tls receiver does),
splits each connection's bytes into octet-counted frames (RFC 6587) and appends each message
as one line to OUT. Events go to OUT.events, one a line: "listening", "conn", "sni NAME"
(TLS), "handshake-failed REASON", "bad-frame", "close clean" (plain EOF, or TLS EOF after the
peer's close_notify), "close abrupt" (TLS EOF without close_notify).
"""
import socket
import ssl
import sys
import threading

port, out = int(sys.argv[1]), sys.argv[2]
tls = None
if len(sys.argv) > 4:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[3], sys.argv[4])
    tls.sni_callback = lambda s, name, ctx: event("sni %s" % name) if name else None
lock = threading.Lock()


def event(what):
    with lock, open(out + ".events", "a") as f:
        f.write(what + "\n")


def frames(c):
    buf = b""
    while True:
        try:
            d = c.recv(65536)
        except ssl.SSLEOFError:
            event("close abrupt")
            return
        if not d:
            event("close clean")
            return
        buf += d
        while b" " in buf:
            n, rest = buf.split(b" ", 1)
            if not n.isdigit():
                event("bad-frame")
                return
            if len(rest) < int(n):
                break
            msg, buf = rest[: int(n)], rest[int(n):]
            with lock, open(out, "ab") as f:
                f.write(msg + b"\n")


def serve(c):
    event("conn")
    try:
        if tls:
            c = tls.wrap_socket(c, server_side=True, suppress_ragged_eofs=False)
        frames(c)
    except (ssl.SSLError, OSError) as e:
        event("handshake-failed %s" % e)
    finally:
        c.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
event("listening")
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
