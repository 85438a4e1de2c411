#!/usr/bin/env python3
"""Memory of a set of processes (pids as arguments), three ways:
  rss   the sum of their VmRSS: every shared library page counted once per process;
  pss   the sum of their Pss: shared pages split among every process that maps them;
  own   what they cost together: their private pages, plus each shared page counted once
        (the largest resident part of each mapping of each file among them).
Prints "NAME rss_kB private_kB" per process, then "total rss pss own" in kB, then the ten
shared files that weigh most in "own"."""
import collections
import re
import sys

head = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")
shared = collections.defaultdict(int)
tot_rss = tot_pss = tot_priv = 0
for pid in sys.argv[1:]:
    try:
        name = open(f"/proc/{pid}/comm").read().strip()
        lines = open(f"/proc/{pid}/smaps").read().splitlines()
    except OSError:
        continue
    rss = pss = priv = 0
    key = None
    for line in lines:
        if head.match(line):
            f = line.split()
            key = (f[5] if len(f) > 5 else "[anon]", f[2], f[1])
            continue
        field, _, rest = line.partition(":")
        if field in ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean",
                     "Shared_Dirty"):
            v = int(rest.split()[0])
            if field == "Rss":
                rss += v
            elif field == "Pss":
                pss += v
            elif field.startswith("Private"):
                priv += v
            else:
                shared[key + (field,)] = max(shared[key + (field,)], v)
    print(f"{name} {rss} {priv}")
    tot_rss += rss
    tot_pss += pss
    tot_priv += priv
print(f"total {tot_rss} {tot_pss} {tot_priv + sum(shared.values())}")
by_file = collections.defaultdict(int)
for k, v in shared.items():
    by_file[k[0].rsplit("/", 1)[-1]] += v
print("shared " + ", ".join(f"{f} {v // 1024}.{(v % 1024) * 10 // 1024}"
                            for f, v in sorted(by_file.items(), key=lambda x: -x[1])[:10]))
