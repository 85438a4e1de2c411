"""war_ws.py PORT PATH MESSAGE: a minimal WebSocket client (RFC 6455) for the war tests.

Connects to 127.0.0.1:PORT, upgrades PATH, sends MESSAGE as one masked text frame and prints
the text of the first frame that comes back. Exits 1 (with the reason on stderr) when the
upgrade is refused or no text frame arrives within 10 s.
"""
import base64
import hashlib
import os
import socket
import struct
import sys

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError("connection closed")
        b += chunk
    return b


def main():
    port, path, message = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (path, port, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += read_exact(s, 1)
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 101"):
        sys.exit("upgrade refused: " + lines[0])
    want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    if not any(l.lower() == "sec-websocket-accept: " + want.lower() for l in lines):
        sys.exit("bad Sec-WebSocket-Accept")
    mask = os.urandom(4)
    n = len(message)
    hdr = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, n)
    s.sendall(hdr + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(message)))
    b0, b1 = read_exact(s, 2)
    ln = b1 & 0x7F
    if ln == 126:
        ln = struct.unpack("!H", read_exact(s, 2))[0]
    elif ln == 127:
        ln = struct.unpack("!Q", read_exact(s, 8))[0]
    if b0 & 0x0F != 1 or ln > 1 << 20:
        sys.exit("not a text frame: opcode %d" % (b0 & 0x0F))
    sys.stdout.write(read_exact(s, ln).decode() + "\n")
    s.close()


if __name__ == "__main__":
    main()
