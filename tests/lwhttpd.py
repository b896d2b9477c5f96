#!/usr/bin/env python3
"""Loopback HTTP/1.1 server for livewatch's tests (standard library only).

As a module, for Python integration tests:

    srv = LiveServer(host='127.0.0.1')
    srv.start()
    srv.set('/blog', body='<html>...</html>', etag='"v1"')
    url = srv.url('/blog')
    ...
    srv.requests('/blog')   # [{'method', 'path', 'target', 'headers', ...}]
    srv.stop()

As a program, for C tests:

    python3 tests/lwhttpd.py --port-file FILE [--host 127.0.0.1]

writes the port to FILE once listening (atomically: write, then rename)
and answers control requests besides the routes it serves:

    PUT    /_lw/route?path=/x      JSON body: the keyword arguments of set()
    GET    /_lw/requests?path=/x   JSON list of the requests received for /x
    DELETE /_lw/requests           forget the request log

It exits on SIGTERM/SIGINT, and when its stdin (a pipe) closes, so a
parent that dies takes it down.

Routes (set(path, ...)):
    body            bytes or str (str is UTF-8, or Latin-1 in mode "bytes")
    body_b64        the body as base64 (for JSON control requests)
    status          default 200
    statuses        statuses for the first requests, one each, before
                    `status` (e.g. [500] answers 500 once, then status)
    headers         extra response headers {name: value}
    content_type    default 'text/html; charset=utf-8'; None sends none
    etag            ETag to send; If-None-Match matching it gives 304
    auto_etag       when True, the ETag is a hash of the body
    last_modified   HTTP date; If-Modified-Since at or after it gives 304
    mode            a fault to inject, see MODES below; extra keyword
                    arguments are that mode's parameters

Fault modes:
    stall           accept, send nothing for `seconds` (default 30), close
    drip            send headers, then the body 1 byte each `interval`
                    seconds (default 1.0)
    truncate        declare `extra` (default 1000) more bytes than sent, close
    cut             the first `at` bytes of the body (default all) and no
                    Content-Length: `framing` "close" (default) ends the
                    body by closing the connection, "chunked" sends it in
                    chunks of `chunk` bytes (default 1000) and the last
                    chunk, unless `terminate` is false
    huge            stream `size` bytes (default 100 MB) chunked, or with a
                    Content-Length when `declare_length` is true
    close-headers   close the connection in the middle of the headers
    redirect-loop   302 to the same path with ?hop=N+1 (bounded by `limit`,
                    default 100, after which the body is served)
    redirect-file   302 to file:///etc/passwd
    redirect        `status` (default 302) to `location`
    retry-after     `status` (default 503) with Retry-After: `retry_after`
                    (default "120")
    gzip            the body gzip-compressed, with Content-Encoding: gzip
    bytes           the body exactly as given (a str body is taken as
                    Latin-1, so "caf\\u00e9" is the Windows-1252 byte 0xe9)

Every request is logged (method, path, target, client address:port,
headers with lowercased names, request body, bytes of body sent, done);
the log keeps the newest 10000.
"""

import argparse
import base64
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import signal
import socket
import stat
import sys
import threading
import time
import urllib.parse

MODES = ('stall', 'drip', 'truncate', 'cut', 'huge', 'close-headers',
         'redirect-loop', 'redirect-file', 'redirect', 'retry-after',
         'gzip', 'bytes')
MODE_PARAMS = {'seconds', 'interval', 'extra', 'size', 'declare_length',
               'limit', 'location', 'retry_after', 'at', 'framing', 'chunk',
               'terminate'}
MAX_LOG = 10000
MAX_CONTROL_BODY = 64 * 1024 * 1024
CHUNK = 64 * 1024


class Route:
    def __init__(self, body=b'', status=200, headers=None, mode=None,
                 etag=None, last_modified=None,
                 content_type='text/html; charset=utf-8', auto_etag=False,
                 body_b64=None, statuses=None, **params):
        if mode is not None and mode not in MODES:
            raise ValueError('unknown mode %r' % (mode,))
        unknown = set(params) - MODE_PARAMS
        if unknown:
            raise ValueError('unknown route keys: %s' % ', '.join(sorted(unknown)))
        if mode == 'redirect' and 'location' not in params:
            raise ValueError('mode redirect needs a location')
        if body_b64 is not None:
            body = base64.b64decode(body_b64)
        if body is None:
            body = b''
        if isinstance(body, str):
            body = body.encode('latin-1' if mode == 'bytes' else 'utf-8')
        self.body = bytes(body)
        self.status = int(status)
        self.statuses = [int(x) for x in (statuses or [])]
        self._lock = threading.Lock()
        self.headers = dict(headers or {})
        self.mode = mode
        self.content_type = content_type
        self.last_modified = last_modified
        if etag is None and auto_etag:
            etag = '"%s"' % hashlib.sha1(self.body).hexdigest()[:16]
        self.etag = etag
        self.params = params

    def next_status(self):
        with self._lock:
            return self.statuses.pop(0) if self.statuses else self.status


def _etag_matches(header, etag):
    if header.strip() == '*':
        return True

    def opaque(tag):
        tag = tag.strip()
        return tag[2:] if tag.startswith('W/') else tag

    return any(opaque(t) == opaque(etag) for t in header.split(','))


def _not_modified_since(header, last_modified):
    try:
        since = email.utils.parsedate_to_datetime(header)
        lm = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return False
    if since is None or lm is None:
        return False
    return lm <= since


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'lwhttpd/1'
    sys_version = ''
    timeout = 60

    def log_message(self, format, *args):
        pass

    def version_string(self):
        return self.server_version

    # -- dispatch ------------------------------------------------------

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        live = self.server.live
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path.startswith('/_lw/'):
            self._control(url.path, query)
            return
        req_body = self._read_body(1024 * 1024)
        entry = {
            'method': self.command,
            'path': url.path,
            'target': self.path,
            'client': '%s:%d' % tuple(self.client_address[:2]),
            'headers': self._header_dict(),
            'body': req_body.decode('utf-8', 'replace'),
            'time': time.time(),
            'sent': 0,
            'done': False,
        }
        live._log(entry)
        route = live._route(url.path)
        try:
            if route is None:
                self._send_simple(404, b'not found\n')
            else:
                self._serve(route, query, entry)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        finally:
            entry['done'] = True

    def _read_body(self, cap):
        n = self.headers.get('Content-Length')
        if not n:
            return b''
        try:
            n = int(n)
        except ValueError:
            self.close_connection = True
            return b''
        if n < 0 or n > cap:
            self.close_connection = True
            return b''
        return self.rfile.read(n)

    def _header_dict(self):
        h = {}
        for name, value in self.headers.items():
            key = name.lower()
            h[key] = h[key] + ', ' + value if key in h else value
        return h

    def _send_simple(self, status, body, ctype='text/plain', extra=None):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    # -- control -------------------------------------------------------

    def _control(self, path, query):
        live = self.server.live
        target = query.get('path', [None])[0]
        if path == '/_lw/route' and self.command in ('PUT', 'POST'):
            if not target or not target.startswith('/'):
                self._send_simple(400, b'path= missing\n')
                return
            raw = self._read_body(MAX_CONTROL_BODY)
            try:
                spec = json.loads(raw.decode('utf-8') or '{}')
                live.set(target, **spec)
            except (ValueError, TypeError) as e:
                self._send_simple(400, ('bad route: %s\n' % e).encode())
                return
            self._send_simple(200, b"ok\n")
        elif path == '/_lw/route' and self.command == 'DELETE':
            live.unset(target)
            self._send_simple(200, b'ok\n')
        elif path == '/_lw/requests' and self.command == 'GET':
            body = json.dumps(live.requests(target)).encode()
            self._send_simple(200, body, 'application/json')
        elif path == '/_lw/requests' and self.command == 'DELETE':
            live.clear_requests()
            self._send_simple(200, b'ok\n')
        else:
            self._send_simple(404, b'unknown control request\n')

    # -- serving routes ------------------------------------------------

    def _wait(self, seconds):
        """Sleeps up to seconds; False when the server is stopping."""
        return not self.server.live._stopping.wait(seconds)

    def _write(self, entry, data):
        self.wfile.write(data)
        entry['sent'] += len(data)

    def _begin(self, status, route, length=None, extra=None,
               content_type=True):
        self.send_response(status)
        if content_type and route.content_type:
            self.send_header('Content-Type', route.content_type)
        if route.etag:
            self.send_header('ETag', route.etag)
        if route.last_modified:
            self.send_header('Last-Modified', route.last_modified)
        for k, v in route.headers.items():
            self.send_header(k, str(v))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if length is not None:
            self.send_header('Content-Length', str(length))
        self.end_headers()

    def _serve(self, route, query, entry):
        p = route.params
        mode = route.mode
        head = self.command == 'HEAD'

        if mode == 'stall':
            self.close_connection = True
            self._wait(float(p.get('seconds', 30)))
            return
        if mode == 'close-headers':
            self.close_connection = True
            self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: text/ht')
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == 'redirect-file':
            self._begin(302, route, 0,
                        {'Location': p.get('location', 'file:///etc/passwd')},
                        content_type=False)
            return
        if mode == 'redirect':
            status = int(p.get('status', route.status if
                               300 <= route.status < 400 else 302))
            self._begin(status, route, 0, {'Location': p['location']},
                        content_type=False)
            return
        if mode == 'redirect-loop':
            hop = int(query.get('hop', ['0'])[0])
            if hop < int(p.get('limit', 100)):
                loc = '%s?hop=%d' % (entry['path'], hop + 1)
                self._begin(302, route, 0, {'Location': loc},
                            content_type=False)
                return
        if mode == 'retry-after':
            status = int(p.get('status', route.status if
                               route.status >= 400 else 503))
            body = route.body
            self._begin(status, route, len(body),
                        {'Retry-After': str(p.get('retry_after', '120'))})
            if not head:
                self._write(entry, body)
            return

        # Conditional GET applies to the ordinary and the encoding modes.
        inm = self.headers.get('If-None-Match')
        ims = self.headers.get('If-Modified-Since')
        if route.etag and inm is not None:
            if _etag_matches(inm, route.etag):
                self._begin(304, route, None, content_type=False)
                return
        elif route.last_modified and ims is not None:
            if _not_modified_since(ims, route.last_modified):
                self._begin(304, route, None, content_type=False)
                return

        if mode == 'drip':
            self.close_connection = True
            body = route.body
            self._begin(route.status, route, len(body))
            interval = float(p.get('interval', 1.0))
            for i in range(len(body)):
                if head:
                    break
                self._write(entry, body[i:i + 1])
                self.wfile.flush()
                if not self._wait(interval):
                    break
            return
        if mode == 'truncate':
            self.close_connection = True
            body = route.body
            self._begin(route.status, route,
                        len(body) + int(p.get('extra', 1000)))
            if not head:
                self._write(entry, body)
            self.wfile.flush()
            return
        if mode == 'cut':
            self.close_connection = True
            body = route.body[:int(p.get('at', len(route.body)))]
            if p.get('framing', 'close') == 'chunked':
                self._begin(route.status, route, None, {'Transfer-Encoding': 'chunked'})
                if head:
                    return
                step = int(p.get('chunk', 1000))
                for i in range(0, len(body), step):
                    piece = body[i:i + step]
                    self.wfile.write(b'%x\r\n' % len(piece))
                    self._write(entry, piece)
                    self.wfile.write(b'\r\n')
                if p.get('terminate', True):
                    self.wfile.write(b'0\r\n\r\n')
            else:
                self._begin(route.status, route, None, {'Connection': 'close'})
                if not head:
                    self._write(entry, body)
            self.wfile.flush()
            return
        if mode == 'huge':
            self.close_connection = True
            size = int(p.get('size', 100 * 1024 * 1024))
            declare = bool(p.get('declare_length', False))
            if declare:
                self._begin(route.status, route, size)
            else:
                self._begin(route.status, route, None,
                            {'Transfer-Encoding': 'chunked'})
            if head:
                return
            block = (b'<p>' + b'x' * (CHUNK - 8) + b'</p>\n')[:CHUNK]
            left = size
            while left > 0 and not self.server.live._stopping.is_set():
                piece = block[:min(left, CHUNK)]
                if declare:
                    self._write(entry, piece)
                else:
                    self.wfile.write(b'%x\r\n' % len(piece))
                    self._write(entry, piece)
                    self.wfile.write(b'\r\n')
                left -= len(piece)
            if not declare and left == 0:
                self.wfile.write(b'0\r\n\r\n')
            return
        if mode == 'gzip':
            body = gzip.compress(route.body)
            self._begin(route.status, route, len(body),
                        {'Content-Encoding': 'gzip', 'Vary': 'Accept-Encoding'})
            if not head:
                self._write(entry, body)
            return

        body = route.body
        self._begin(route.next_status(), route, len(body))
        if not head:
            self._write(entry, body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64


class LiveServer:
    """A loopback HTTP server on an ephemeral port, run in a thread."""

    def __init__(self, host='127.0.0.1', port=0):
        self.host = host
        self.port = port
        self._routes = {}
        self._log_list = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None

    def start(self):
        self._httpd = _Server((self.host, self.port), Handler)
        self._httpd.live = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={'poll_interval': 0.1},
                                        name='lwhttpd', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path='/'):
        host = '[%s]' % self.host if ':' in self.host else self.host
        return 'http://%s:%d%s' % (host, self.port, path)

    def set(self, path, **kwargs):
        route = Route(**kwargs)
        with self._lock:
            self._routes[path] = route

    def unset(self, path):
        with self._lock:
            self._routes.pop(path, None)

    def requests(self, path=None):
        with self._lock:
            return [dict(e) for e in self._log_list
                    if path is None or e['path'] == path]

    def clear_requests(self):
        with self._lock:
            self._log_list = []

    def _route(self, path):
        with self._lock:
            return self._routes.get(path)

    def _log(self, entry):
        with self._lock:
            self._log_list.append(entry)
            if len(self._log_list) > MAX_LOG:
                del self._log_list[:len(self._log_list) - MAX_LOG]


def _watch_stdin(done):
    """Sets done when stdin (a pipe or socket) reaches end of file."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    def run():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        done.set()

    threading.Thread(target=run, name='stdin', daemon=True).start()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file', required=True)
    args = ap.parse_args(argv)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())

    srv = LiveServer(args.host, args.port).start()
    tmp = args.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % srv.port)
    os.replace(tmp, args.port_file)
    _watch_stdin(done)
    while not done.wait(0.2):
        pass
    srv.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
