"""Where the time of a push goes, from the micro cloud's debug logs.

  steps.py LOGDIR MARKS KIND PHASE

MARKS has one line per push: KIND PHASE T0 CLI_RETURNED FIRST_200 (ms since the epoch). For
each push of KIND and PHASE, the first log line of each step after T0 (and before the first
200) is found; each step is printed with the median time since the end of the previous one."""
import datetime
import glob
import re
import statistics
import sys

STEPS = [
    ("package uploaded (CC: package stored)", "cc", "package stored", ""),
    ("staging container created", "dea", "staging step done", "step=create"),
    ("package and cache copied in, buildpacks spawned", "dea", "staging step done", "step=spawn"),
    ("buildpacks done (detect, compile, release)", "dea", "staging step done", "step=buildpacks"),
    ("droplet packed and uploaded (CC: staged)", "cc", "staged", ""),
    ("instance container created", "dea", "warden step done", "step=create"),
    ("droplet copied in, app process spawned", "dea", "warden step done", "step=spawn"),
    ("app listening, routed (DEA: running)", "dea", "instance running", ""),
]
LINE = re.compile(r'ts=(\S+)Z lvl=\S+ comp=(\S+) msg="([^"]*)"(.*)')


def events(logdir):
    out = []
    for path in glob.glob(logdir + "/*.log"):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = LINE.match(line)
                if not m:
                    continue
                t = datetime.datetime.fromisoformat(m.group(1))
                ms = t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
                out.append((ms, m.group(2), m.group(3), m.group(4)))
    out.sort()
    return out


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    logdir, marks, kind, phase = sys.argv[1:]
    ev = events(logdir)
    rows = {}
    with open(marks, encoding="utf-8") as f:
        pushes = [l.split() for l in f if l.split()[:2] == [kind, phase]]
    for _, _, t0, cli, first in pushes:
        t0, cli, first = int(t0), int(cli), int(first)
        points = []
        for label, comp, msg, extra in STEPS:
            t = next((t for t, c, m, x in ev if t0 <= t <= first and c == comp and m == msg
                      and extra in x), None)
            points.append((label, t))
        points += [("CLI returned", cli), ("first 200 with the new content", first)]
        prev = t0
        for label, t in points:
            if t is not None:
                rows.setdefault(label, []).append(t - prev)
                prev = max(prev, t)
    for label, v in rows.items():
        print("  %-50s %5.0f  (runs: %s)" % (label, statistics.median(v),
                                             " ".join("%d" % x for x in v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
