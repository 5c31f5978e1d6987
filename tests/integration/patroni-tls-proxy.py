#!/usr/bin/env python3
"""Patroni's REST API behind TLS and HTTP basic auth, for tst_patronitls.

The Patroni fixture serves plain HTTP and leaves GETs open, so the https and basic-auth paths of
QPSQLHA_PATRONI are tried against this front instead: it requires the given user and password,
then forwards the GET to the real Patroni and returns its answer unchanged. It prints the port
it listens on, then serves until killed.
Usage: patroni-tls-proxy.py CERT KEY USER PASSWORD UPSTREAM_URL
"""
import base64
import http.server
import ssl
import sys
import urllib.request

cert, key, user, password, upstream = sys.argv[1:6]
expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="patroni"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            with urllib.request.urlopen(upstream.rstrip("/") + self.path, timeout=5) as answer:
                body = answer.read()
                status = answer.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        except OSError:
            body, status = b"", 502
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
