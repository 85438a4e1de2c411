"""Helpers of the python buildpack, run with the system's python3 at staging time. They read the
app's files and never import (run) the app's code.

  pyapp.py requirements-met APP [DIRS]
                                  exit 0 when every line of APP/requirements.txt names an
                                  installed distribution (system or APP/.hearth/site) whose
                                  version satisfies its specifier; prints what is missing.
                                  With DIRS, writes there the directories searched, one a line
                                  (what a cached answer depends on)
  pyapp.py wsgi-entry APP         prints the app's WSGI entry as MODULE:OBJECT (Django project,
                                  a Flask object, a module-level `application`) or nothing
  pyapp.py wsgi-server APP        prints "ENTRY SERVER" for the app's WSGI entry (as wsgi-entry)
                                  with SERVER gunicorn when it imports (from APP or the
                                  system), else wsgiref; nothing when there is no entry
  pyapp.py resolves URL           exit 0 when URL's host name resolves within 3 seconds (a
                                  container without a resolver would make pip wait far longer)
"""
import os
import re
import sys


def _requirement_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("-"):  # -r, -e, --index-url ...: not checkable offline
                yield None
                continue
            yield line


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _headers(path):
    """Name and Version of a METADATA / PKG-INFO file (headers up to the first blank line)."""
    out = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                key, sep, value = line.partition(":")
                if sep and key in ("Name", "Version") and key not in out:
                    out[key] = value.strip()
    except OSError:
        pass
    return out


def _installed_version(name, paths):
    """The version of the first distribution called name in paths (.dist-info and .egg-info
    entries, read directly: importlib.metadata alone takes longer to import than this)."""
    want = _norm(name)
    for p in paths:
        try:
            entries = sorted(os.listdir(p or "."))
        except OSError:
            continue
        for e in entries:
            base, ext = os.path.splitext(e)
            if ext not in (".dist-info", ".egg-info") or _norm(base.split("-", 1)[0]) != want:
                continue
            full = os.path.join(p or ".", e)
            if ext == ".dist-info":
                meta = os.path.join(full, "METADATA")
            elif os.path.isdir(full):
                meta = os.path.join(full, "PKG-INFO")
            else:
                meta = full
            h = _headers(meta)
            if "Name" in h and _norm(h["Name"]) != want:
                continue
            version = h.get("Version") or (base.split("-")[1] if base.count("-") >= 1 else "")
            if version:
                return version
    return None


def _load_requirement():
    """pip's vendored packaging Requirement class, or None (imported only when needed: it
    costs more than the whole check of plain names)."""
    try:
        from pip._vendor.packaging.requirements import Requirement
    except ImportError:
        return None
    return Requirement


_BARE_NAME = re.compile(r"([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")


def requirements_met(app, dirs_out=None):
    path = os.path.join(app, "requirements.txt")
    if not os.path.isfile(path):
        return 0
    requirement = False  # not imported yet
    paths = [os.path.join(app, ".hearth", "site")] + sys.path
    if dirs_out:
        with open(dirs_out, "w", encoding="utf-8") as f:
            # Not the app's .hearth/site: it is extracted anew at each staging.
            f.writelines(os.path.abspath(p or ".") + "\n" for p in paths[1:] if "\n" not in p)
    missing = []
    for line in _requirement_lines(path):
        if line is None:
            missing.append("(an option line: pip must run)")
            continue
        name, spec = line, None  # a plain name: no version, no marker
        if not _BARE_NAME.match(line):
            if requirement is False:
                requirement = _load_requirement()
            if requirement is not None:
                try:
                    req = requirement(line)
                except Exception:
                    missing.append(line)
                    continue
                if req.marker is not None and not req.marker.evaluate():
                    continue
                name, spec = req.name, req.specifier
            else:
                m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
                if not m:
                    missing.append(line)
                    continue
                name = m.group(0)
        version = _installed_version(name, paths)
        if version is None or (spec is not None and not spec.contains(version, prereleases=True)):
            missing.append(line)
    if missing:
        print(" ".join(missing))
        return 1
    return 0


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wsgi_entry(app):
    manage = _read(os.path.join(app, "manage.py"))
    if manage:
        m = re.search(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]", manage)
        candidates = []
        if m and "." in m.group(1):
            candidates.append(m.group(1).rsplit(".", 1)[0])
        candidates += sorted(d for d in os.listdir(app) if os.path.isdir(os.path.join(app, d)))
        for pkg in candidates:
            if os.path.isfile(os.path.join(app, *pkg.split("."), "wsgi.py")):
                return "%s.wsgi:application" % pkg
    for mod in ("wsgi", "app", "application", "main", "server"):
        text = _read(os.path.join(app, mod + ".py"))
        if not text:
            continue
        if re.search(r"^(application\s*=|def application\s*\()", text, re.M):
            return "%s:application" % mod
        m = re.search(r"^(\w+)\s*=\s*(?:flask\.)?Flask\(", text, re.M)
        if m:
            return "%s:%s" % (mod, m.group(1))
    return ""


def wsgi_server(app):
    entry = wsgi_entry(app)
    if not entry:
        print()
        return 0
    sys.path.insert(0, os.path.abspath(app))
    try:
        import gunicorn  # noqa: F401
    except Exception:
        print(entry, "wsgiref")
    else:
        print(entry, "gunicorn")
    return 0


def resolves(url):
    import socket
    import threading
    import urllib.parse

    host = urllib.parse.urlsplit(url).hostname
    if not host:
        return 1
    found = []

    def lookup():
        try:
            found.append(socket.getaddrinfo(host, 443))
        except OSError:
            pass

    t = threading.Thread(target=lookup, daemon=True)
    t.start()
    t.join(3)
    return 0 if found else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "requirements-met":
        return requirements_met(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "requirements-met":
        return requirements_met(sys.argv[2])
    if sys.argv[1] == "resolves":
        return resolves(sys.argv[2])
    if sys.argv[1] == "wsgi-server":
        return wsgi_server(sys.argv[2])
    if sys.argv[1] == "wsgi-entry":
        print(wsgi_entry(sys.argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
