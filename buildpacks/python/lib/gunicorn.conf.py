"""gunicorn settings the python buildpack gives an app that has no gunicorn.conf.py of its own.
Workers: $WEB_CONCURRENCY, else one per 128 MiB of $MEMORY_LIMIT, at least 1 and at most 4
(a small Python worker takes 25-60 MiB). The bind address is on the command line ($PORT)."""
import os


def _memory_mib():
    v = os.environ.get("MEMORY_LIMIT", "256m").strip().lower()
    scale = {"k": 1 / 1024, "m": 1, "g": 1024}.get(v[-1:], None)
    try:
        return int(float(v[:-1]) * scale) if scale else int(v) // (1024 * 1024)
    except ValueError:
        return 256


def _workers():
    try:
        return max(1, int(os.environ["WEB_CONCURRENCY"]))
    except (KeyError, ValueError):
        return max(1, min(4, _memory_mib() // 128))


workers = _workers()
accesslog = "-"
forwarded_allow_ips = "*"
