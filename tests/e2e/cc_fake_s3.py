#!/usr/bin/env python3
"""A minimal S3 stand-in for the CC tests (objects in memory, path-style URLs). It does not
verify signatures; it refuses any request without an AWS SigV4 Authorization header and an
x-amz-date, so the test sees that every call is signed. ListObjectsV2 answers one key a page,
so a listing has to follow continuation tokens; a PUT with x-amz-copy-source copies an object
(onto itself too, which renews its LastModified). GET /_objects (unsigned, the test's own
view) lists every key, one a line.
   cc_fake_s3.py PORTFILE LOGFILE"""
import http.server
import sys
import time
import urllib.parse
from xml.sax.saxutils import escape

objects = {}  # path -> (bytes, time of the last write)
PAGE = 1


class S3(http.server.BaseHTTPRequestHandler):
    def signed(self):
        auth = self.headers.get("Authorization", "")
        ok = auth.startswith("AWS4-HMAC-SHA256 Credential=AKTEST/") and "/s3/aws4_request" in auth \
            and self.headers.get("x-amz-date")
        with open(sys.argv[2], "a") as f:
            f.write(f"{self.command} {self.path} {'signed' if ok else 'UNSIGNED'}\n")
        if not ok:
            self.reply(403)
        return ok

    def reply(self, status, body=b"", length=None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        if not self.signed():
            return
        o = objects.get(self.path)
        self.reply(200 if o else 404, length=len(o[0]) if o else 0)

    def list(self, bucket, q):
        prefix = q.get("prefix", [""])[0]
        keys = sorted(p[len(bucket) + 2:] for p in objects if p.startswith("/" + bucket + "/"))
        keys = [k for k in keys if k.startswith(prefix)]
        start = int(q.get("continuation-token", ["0"])[0])
        page = keys[start:start + PAGE]
        more = start + PAGE < len(keys)
        items = "".join(
            "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>&quot;x&quot;</ETag>"
            "<Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>" % (
                escape(k), time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                         time.gmtime(objects["/%s/%s" % (bucket, k)][1])),
                len(objects["/%s/%s" % (bucket, k)][0]))
            for k in page)
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
               "<Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>"
               "<IsTruncated>%s</IsTruncated>%s%s</ListBucketResult>" % (
                   bucket, escape(prefix), len(page), PAGE, "true" if more else "false", items,
                   "<NextContinuationToken>%d</NextContinuationToken>" % (start + PAGE)
                   if more else ""))
        self.reply(200, xml.encode())

    def do_GET(self):
        if self.path == "/_objects":
            self.reply(200, "".join(p + "\n" for p in sorted(objects)).encode())
            return
        if not self.signed():
            return
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        if q.get("list-type") == ["2"]:
            self.list(u.path.strip("/"), q)
            return
        o = objects.get(self.path)
        self.reply(200 if o else 404, o[0] if o else b"")

    def do_PUT(self):
        if not self.signed():
            return
        n = int(self.headers.get("Content-Length", 0))
        data = self.rfile.read(n)
        src = self.headers.get("x-amz-copy-source")
        if src is not None:
            o = objects.get(urllib.parse.unquote(src))
            if not o:
                self.reply(404)
                return
            if src == self.path and self.headers.get("x-amz-metadata-directive") != "REPLACE":
                self.reply(400)  # S3 refuses a copy onto itself that changes nothing
                return
            data = o[0]
        objects[self.path] = (data, time.time())
        self.reply(200)

    def do_DELETE(self):
        if not self.signed():
            return
        objects.pop(self.path, None)
        self.reply(204)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), S3)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
