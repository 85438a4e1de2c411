#!/usr/bin/env bash
# e2e (needs root): copy_in / copy_out with the tar streamed over warden's socket (no host
# path): round trip of a multi-megabyte tree, hostile archives refused (.., absolute paths,
# symlink escape, hard link out, device nodes; setuid bits dropped), an archive bomb held by
# the disk quota, a refused stream that keeps the connection in step, and a client that dies
# mid-stream leaving no helper behind.
. "$(dirname "$0")/warden_lib.sh"
wdn_start

wdn create --handle cp --disk 33554432 --network none >/dev/null || wdn_fail "create"

# Round trip: 3 MiB of random bytes, a small file, a symlink inside the tree.
mkdir -p "$T/src/d/sub"
head -c 3145728 /dev/urandom >"$T/src/d/big.bin"
echo payload >"$T/src/d/sub/f.txt"
ln -s sub/f.txt "$T/src/d/link"
tar -C "$T/src" -cf - d | wdn copy-in cp - /home/vcap/in || wdn_fail "streamed copy_in"
want=$(md5sum <"$T/src/d/big.bin" | cut -d' ' -f1)
got=$(wdn run cp -- sh -c 'md5sum < /home/vcap/in/d/big.bin' | cut -d' ' -f1)
expect_eq "streamed copy_in content" "$got" "$want"
expect_eq "symlink inside the tree kept" "$(wdn run cp -- cat /home/vcap/in/d/link)" "payload"
expect_eq "files owned by the container user" \
    "$(wdn run cp -- stat -c %U /home/vcap/in/d/big.bin)" "vcap"
wdn copy-out cp /home/vcap/in - >"$T/out.tar" || wdn_fail "streamed copy_out"
got=$(tar -xOf "$T/out.tar" in/d/big.bin | md5sum | cut -d' ' -f1)
expect_eq "streamed copy_out content" "$got" "$want"
expect_eq "streamed copy_out small file" "$(tar -xOf "$T/out.tar" in/d/sub/f.txt)" "payload"
wdn copy-out cp /home/vcap/nonexistent - >/dev/null 2>&1 && wdn_fail "copy_out of a missing path"
echo "ok - copy_out of a missing path is an error"

# Hostile archives, streamed: each must be refused and write nothing on the host.
python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
def mk(name, entries):
    with tarfile.open(f"{t}/{name}.tar", "w") as tf:
        for path, kind, val in entries:
            ti = tarfile.TarInfo(path)
            if kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, val
                tf.addfile(ti)
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, val
                tf.addfile(ti)
            elif kind == "chr":
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
                tf.addfile(ti)
            else:
                data = val.encode()
                ti.size = len(data)
                ti.mode = kind if isinstance(kind, int) else 0o644
                tf.addfile(ti, io.BytesIO(data))
mk("dotdot", [(f"../../../..{t}/escape1", "f", "x")])
mk("abs", [(f"{t}/escape2", "f", "x")])
mk("sym", [("link", "sym", t), ("link/escape3", "f", "x")])
mk("hard", [("h", "hard", "/etc/passwd")])
mk("hardup", [("h", "hard", "../../../etc/passwd")])
mk("dev", [("null2", "chr", None)])
mk("suid", [("s", 0o4755, "#!/bin/sh\n")])
PY
for k in dotdot abs sym hard hardup dev; do
    wdn copy-in cp - /home/vcap/h <"$T/$k.tar" >/dev/null 2>&1 && wdn_fail "hostile $k tar accepted"
done
ls "$T"/escape* >/dev/null 2>&1 && wdn_fail "hostile tar wrote on the host"
wdn run cp -- sh -c 'test -e /home/vcap/h/null2' && wdn_fail "device node created"
echo "ok - hostile streamed archives (.., absolute, symlink, hard link, device) refused"
wdn copy-in cp - /home/vcap/s <"$T/suid.tar" || wdn_fail "copy_in suid tar"
expect_eq "setuid bit dropped" "$(wdn run cp -- stat -c %a /home/vcap/s/s)" "755"

# A bomb: 256 MiB of zeros in a small tar.gz, into a 32 MiB disk. The quota stops it.
python3 - "$T" <<'PY'
import gzip, sys, tarfile
t = sys.argv[1]
class Zeros:
    def __init__(self, n): self.n = n
    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n)
        self.n -= k
        return b"\0" * k
with gzip.open(f"{t}/bomb.tar.gz", "wb", compresslevel=9) as g:
    with tarfile.open(fileobj=g, mode="w") as tf:
        ti = tarfile.TarInfo("zeros")
        ti.size = 256 << 20
        tf.addfile(ti, Zeros(ti.size))
PY
[ "$(stat -c %s "$T/bomb.tar.gz")" -lt 1048576 ] || wdn_fail "bomb not small"
wdn copy-in cp - /home/vcap/bomb <"$T/bomb.tar.gz" >/dev/null 2>&1 && wdn_fail "bomb accepted"
used=$(wdn info cp | json_get 'd["disk_stat"]["bytes_used"]')
[ "$used" -le 33554432 ] || wdn_fail "disk quota passed: $used"
wdn run cp -- rm -rf /home/vcap/bomb
expect_eq "container usable after the bomb" "$(wdn run cp -- echo alive)" "alive"
echo "ok - archive bomb held by the disk quota"

# On one connection: a streamed copy_in refused at once (unknown handle) and one refused on a
# bad data line, each followed by more lines; every request gets exactly one answer, in order.
python3 - "$T/w.sock" <<'PY' || wdn_fail "connection out of step"
import base64, json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
chunk = base64.b64encode(b"x" * 1000).decode()
lines = [
    {"type": "copy_in", "handle": "nope", "dst_path": "/tmp/a"},
    {"type": "data", "data": chunk}, {"type": "data", "data": chunk}, {"type": "data", "eof": True},
    {"type": "ping"},
    {"type": "copy_in", "handle": "cp", "dst_path": "/tmp/b"},
    {"type": "data", "data": "!!! not base64"},
    {"type": "ping"},
]
s.sendall(b"".join(json.dumps(l).encode() + b"\n" for l in lines))
f = s.makefile("rb")
got = [json.loads(f.readline()) for _ in range(4)]
types = [g["type"] for g in got]
assert types == ["error", "ping", "error", "ping"], got
assert "unknown handle" in got[0]["message"], got[0]
assert "base64" in got[2]["message"], got[2]
PY
echo "ok - refused streams keep the connection in step"

# A client that dies in the middle of a streamed copy_in: the helper goes too, and the
# container is not left busy.
head -c 1048576 /dev/urandom >"$T/part"
mkfifo "$T/fifo"
wdn copy-in cp - /home/vcap/partial <"$T/fifo" >/dev/null 2>&1 &
cpid=$!
EXTRA_PIDS="$cpid"
exec 3>"$T/fifo"
cat "$T/part" >&3
for _ in $(seq 50); do
    pgrep -f -- "__copy-in .* /home/vcap/partial" >/dev/null && break
    sleep 0.1
done
pgrep -f -- "__copy-in .* /home/vcap/partial" >/dev/null || wdn_fail "copy helper not started"
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
exec 3>&-
EXTRA_PIDS=""
for _ in $(seq 50); do
    pgrep -f -- "__copy-in .* /home/vcap/partial" >/dev/null || break
    sleep 0.1
done
pgrep -f -- "__copy-in .* /home/vcap/partial" >/dev/null && wdn_fail "copy helper outlived its client"
# The helper's exit is reaped by warden a moment after it vanished from pgrep's view.
ok=0
for _ in $(seq 20); do
    wdn destroy cp >/dev/null 2>&1 && ok=1 && break
    sleep 0.1
done
[ "$ok" = 1 ] || wdn_fail "destroy after an aborted copy (still busy)"
echo "ok - an aborted stream leaves no helper and no busy container"

# A client that stalls in the middle of a streamed copy_in does not hold its container: destroy
# ends the copy, whose client gets an error once it finishes its stream.
wdn create --handle cp2 --network none >/dev/null || wdn_fail "create cp2"
mkfifo "$T/fifo2"
wdn copy-in cp2 - /home/vcap/stalled <"$T/fifo2" >"$T/stalled.out" 2>&1 &
cpid=$!
EXTRA_PIDS="$cpid"
exec 4>"$T/fifo2"
head -c 65536 "$T/part" >&4
for _ in $(seq 50); do
    pgrep -f -- "__copy-in .* /home/vcap/stalled" >/dev/null && break
    sleep 0.1
done
wdn destroy cp2 >/dev/null || wdn_fail "destroy during a stalled copy"
exec 4>&-
wait "$cpid" && wdn_fail "the stalled copy succeeded"
EXTRA_PIDS=""
grep -q "destroyed" "$T/stalled.out" || wdn_fail "stalled copy error: $(cat "$T/stalled.out")"
echo "ok - destroy ends a stalled streamed copy"
echo "PASS"
