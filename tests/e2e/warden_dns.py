#!/usr/bin/env python3
"""A tiny DNS responder for the warden e2e tests, over UDP: an A query for a name under
e2e.test gets one fixed address, another type under e2e.test no answer, any other name
NXDOMAIN.

    warden_dns.py LISTEN_IP PORT ANSWER_IP
"""
import socket
import struct
import sys


def question(msg):
    """The lowercased name and where the question ends (after qtype, qclass)."""
    i, labels = 12, []
    while i < len(msg) and msg[i] != 0:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii", "replace").lower())
        i += 1 + msg[i]
    return ".".join(labels), i + 5


def main():
    listen, port, answer = sys.argv[1], int(sys.argv[2]), socket.inet_aton(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((listen, port))
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(512)
        if len(msg) < 17:
            continue
        name, end = question(msg)
        if end > len(msg):
            continue
        qtype = struct.unpack("!H", msg[end - 4:end - 2])[0]
        ours = name == "e2e.test" or name.endswith(".e2e.test")
        an = 1 if ours and qtype == 1 else 0
        flags = 0x8180 if ours else 0x8183
        out = msg[:2] + struct.pack("!HHHHH", flags, 1, an, 0, 0) + msg[12:end]
        if an:
            out += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + answer
        s.sendto(out, peer)


if __name__ == "__main__":
    main()
