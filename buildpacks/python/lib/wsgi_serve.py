"""Serves a WSGI app (MODULE:OBJECT in argv[1]) on 0.0.0.0:$PORT with the standard library's
wsgiref, threaded: the python buildpack's start command when gunicorn is not installed."""
import importlib
import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def server_bind(self):  # no getfqdn(): containers may have no resolver
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "app", self.server_address[1]
        self.setup_environ()


class Quiet(WSGIRequestHandler):
    def address_string(self):
        return self.client_address[0]


sys.path.insert(0, os.getcwd())
module, _, obj = sys.argv[1].partition(":")
app = getattr(importlib.import_module(module), obj or "application")
make_server("0.0.0.0", int(os.environ["PORT"]), app, Server, Quiet).serve_forever()
