#!/usr/bin/env python3
"""Integration: `push =` with credentials, against real servers the test
starts on loopback, as root (CI) or as any user.

  - https: a small HTTPS server (Python's ssl and http.server) running
    `git http-backend` as CGI for a bare repository, with a self-signed
    certificate made by `openssl req -x509`; it wants `Authorization:
    Basic` with the token (401 with WWW-Authenticate otherwise).  The
    token comes from `push_token`, the certificate is trusted through
    `push_ca` or $GIT_SSL_CAINFO.  A wrong token, no token and an
    untrusted certificate each give one clear error naming the remote,
    and the token is offered once a push, not in a loop.
  - ssh: `sshd` on a high port with its own config, host key and
    authorized_keys in the sandbox, and an `ssh-agent` holding a fresh
    key.  The server's host key must be in known_hosts (~/.ssh/known_hosts,
    or the file `push_known_hosts` names; plain, [host]:port and hashed
    lines): an unknown or changed key is refused before anything is sent;
    an agent without the key, or no agent, is said as such.

Skips, saying why, when openssl (https) or sshd / ssh-agent (ssh) are
missing; tools/bootstrap.sh test installs them."""

import base64
import http.server
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_push import bare, local_branch, local_head, remote_head, serve, SUPP  # noqa: E402
from lwtest import Skip, check, eq, run_tests, wait_until, with_sandbox  # noqa: E402

SSHD = shutil.which('sshd') or shutil.which('sshd', path='/usr/sbin:/usr/local/sbin:/sbin')
TOKEN = 'lw-test-token-4f1c2e'


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    try:
        socket.create_connection(('127.0.0.1', port), 0.2).close()
        return True
    except OSError:
        return False


def configure(sb, **keys):
    """Puts keys (push, push_token, ...) into [livewatch], replacing any
    set before; None drops a key."""
    sb.env['LSAN_OPTIONS'] = (sb.env.get('LSAN_OPTIONS', '') + ':suppressions=' + SUPP).lstrip(':')
    sb.env['ASAN_OPTIONS'] = (sb.env.get('ASAN_OPTIONS', '') + ':fast_unwind_on_malloc=0').lstrip(':')
    with open(sb.config) as f:
        lines = f.read().split('\n')
    lines = [ln for ln in lines if ln.split('=')[0].strip() not in keys]
    at = lines.index('[livewatch]') + 1
    lines[at:at] = ['%s = %s' % (k, v) for k, v in keys.items() if v is not None]
    with open(sb.config, 'w') as f:
        f.write('\n'.join(lines))


def arrived(sb, remote):
    return remote_head(remote, local_branch(sb)) == local_head(sb)


# ---- https ----

def need_openssl():
    if not shutil.which('openssl'):
        raise Skip('no openssl to make a certificate (tools/bootstrap.sh test installs it)')


def make_cert(folder, name):
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem)."""
    cert, key = os.path.join(folder, name + '.pem'), os.path.join(folder, name + '-key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                    '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1'],
                   check=True, capture_output=True)
    return cert, key


class GitHttps:
    """`git http-backend` as CGI behind HTTPS (plain HTTP without cert)
    and Basic authentication: the password must be the token.  Records
    (method, path, status) and the Authorization headers it got."""

    def __init__(self, root, cert, key, token):
        self.root, self.token, self.seen, self.auths = root, token, [], []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *a):
                pass

            def body(self):
                if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
                    out = b''
                    while True:
                        n = int(self.rfile.readline().split(b';')[0].strip(), 16)
                        if n == 0:
                            while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                                pass
                            return out
                        out += self.rfile.read(n)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get('Content-Length') or 0))

            def reply(self, status, headers, data):
                outer.seen.append((self.command, self.path, status))
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def cgi(self):
                data = self.body()
                user, _, password = '', '', ''
                auth = self.headers.get('Authorization', '')
                outer.auths.append(auth)
                if auth.startswith('Basic '):
                    user, _, password = base64.b64decode(auth[6:]).decode().partition(':')
                if password != outer.token:
                    self.close_connection = True
                    self.reply(401, [('WWW-Authenticate', 'Basic realm="livewatch test"'),
                                     ('Connection', 'close')], b'token please\n')
                    return
                path, _, query = self.path.partition('?')
                env = {'PATH': os.environ['PATH'], 'GIT_PROJECT_ROOT': outer.root,
                       'GIT_HTTP_EXPORT_ALL': '1', 'GATEWAY_INTERFACE': 'CGI/1.1',
                       'REQUEST_METHOD': self.command, 'PATH_INFO': path,
                       'QUERY_STRING': query, 'REMOTE_USER': user, 'REMOTE_ADDR': '127.0.0.1',
                       'CONTENT_TYPE': self.headers.get('Content-Type', ''),
                       'CONTENT_LENGTH': str(len(data))}
                p = subprocess.run(['git', 'http-backend'], input=data, env=env,
                                   capture_output=True, timeout=60)
                sep = b'\r\n\r\n' if b'\r\n\r\n' in p.stdout else b'\n\n'
                head, _, rest = p.stdout.partition(sep)
                status, headers = 200, []
                for line in head.decode(errors='replace').splitlines():
                    k, _, v = line.partition(':')
                    if k.lower() == 'status':
                        status = int(v.split()[0])
                    elif k:
                        headers.append((k, v.strip()))
                self.reply(status, headers, rest)

            do_GET = do_POST = cgi

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = 'http'
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = 'https'
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return '%s://127.0.0.1:%d/%s' % (self.scheme, self.port, name)

    def refused(self):
        return sum(1 for _, _, s in self.seen if s == 401)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def https_setup(sb):
    need_openssl()
    base = os.path.join(sb.dir, 'srv')
    os.makedirs(base)
    remote = bare(sb, 'srv/remote.git')
    cert, key = make_cert(sb.dir, 'server')
    srv = GitHttps(base, cert, key, TOKEN)
    sb.cleanups.append(srv.stop)
    token = os.path.join(sb.dir, 'token')
    with open(token, 'w') as f:
        f.write(TOKEN + '\n')
    os.chmod(token, 0o600)
    return srv, remote, cert, token


@with_sandbox
def test_https_token_and_ca(sb):
    srv, remote, cert, token = https_setup(sb)
    url = srv.url('remote.git')
    configure(sb, push=url, push_token=token, push_ca=cert)
    serve(sb, 3)
    p = sb.poll()
    check(arrived(sb, remote), 'pushed over https with the token: ' + p.stderr)
    check(any(s == 200 and m == 'POST' for m, _, s in srv.seen), srv.seen)
    # the CA from git's own variable instead of push_ca
    configure(sb, push_ca=None)
    sb.env['GIT_SSL_CAINFO'] = cert
    serve(sb, 4)
    p = sb.poll()
    check(arrived(sb, remote), 'GIT_SSL_CAINFO names the CA: ' + p.stderr)


@with_sandbox
def test_https_wrong_or_no_token(sb):
    srv, remote, cert, token = https_setup(sb)
    url = srv.url('remote.git')
    with open(token, 'w') as f:
        f.write('not-the-token\n')
    configure(sb, push=url, push_token=token, push_ca=cert)
    serve(sb, 3)
    before = srv.refused()
    p = sb.poll()
    eq(p.returncode, 0, 'the poll was recorded: ' + p.stderr)
    eq(sb.commits(), 2, 'recording went on (README and baseline)')
    check(remote_head(remote, local_branch(sb)) is None, 'nothing pushed')
    said = [ln for ln in p.stderr.splitlines() if 'cannot push' in ln]
    eq(len(said), 1, 'one error: %r' % said)
    check("cannot push to '%s'" % url in said[0] and
          "the server refused the token in '%s'" % token in said[0], said[0])
    # asked once without a token, once with it: offered once, no loop
    check(srv.refused() - before <= 2, 'token offered once: %r' % srv.seen)
    configure(sb, push_token=None)
    serve(sb, 4)
    p = sb.poll()
    check("cannot push to '%s'" % url in p.stderr and 'push_token' in p.stderr and
          'asks for a login' in p.stderr, p.stderr)
    with open(token, 'w') as f:
        f.write(TOKEN + '\n')
    configure(sb, push_token=token)
    serve(sb, 5)
    p = sb.poll()
    check(arrived(sb, remote), 'the right token catches up: ' + p.stderr)


@with_sandbox
def test_https_untrusted_certificate(sb):
    srv, remote, cert, token = https_setup(sb)
    url = srv.url('remote.git')
    other, _ = make_cert(sb.dir, 'other')
    sb.env.pop('GIT_SSL_CAINFO', None)
    sb.env.pop('SSL_CERT_FILE', None)
    for ca in (None, other):
        configure(sb, push=url, push_token=token, push_ca=ca)
        seen = len(srv.seen)
        serve(sb, 3 if ca is None else 4)
        p = sb.poll()
        said = [ln for ln in p.stderr.splitlines() if 'cannot push' in ln]
        eq(len(said), 1, 'one error: %r' % p.stderr)
        check("cannot push to '%s'" % url in said[0] and 'is not trusted' in said[0] and
              'push_ca' in said[0], said[0])
        if ca:
            check(ca in said[0], 'names the CA file: ' + said[0])
        eq(srv.seen[seen:], [], 'no request reached the server')
    check(remote_head(remote, local_branch(sb)) is None, 'nothing pushed')
    configure(sb, push_ca=os.path.join(sb.dir, 'no-such-ca.pem'))
    serve(sb, 5)
    p = sb.poll()
    check("cannot read the certificate authorities in '%s'" % os.path.join(sb.dir, 'no-such-ca.pem')
          in p.stderr, p.stderr)


@with_sandbox
def test_token_never_sent_over_plain_http(sb):
    base = os.path.join(sb.dir, 'srv')
    os.makedirs(base)
    remote = bare(sb, 'srv/remote.git')
    srv = GitHttps(base, None, None, TOKEN)
    sb.cleanups.append(srv.stop)
    token = os.path.join(sb.dir, 'token')
    with open(token, 'w') as f:
        f.write(TOKEN + '\n')
    url = srv.url('remote.git')
    configure(sb, push=url, push_token=token)
    serve(sb, 3)
    p = sb.poll()
    said = errors(p)
    eq(len(said), 1, p.stderr)
    check("cannot push to '%s'" % url in said[0] and 'only sent over https' in said[0], said[0])
    check(srv.seen and not any(TOKEN in base64.b64decode(a[6:] or '=').decode(errors='replace')
                               for a in srv.auths if a.startswith('Basic ')),
          'the token never went out: %r' % srv.auths)
    check(remote_head(remote, local_branch(sb)) is None, 'nothing pushed')


# ---- ssh ----

def need_ssh():
    missing = [t for t in ('ssh-agent', 'ssh-add', 'ssh-keygen') if not shutil.which(t)]
    if not SSHD:
        missing.insert(0, 'sshd')
    if missing:
        raise Skip('no %s (packages openssh-server and openssh-client; tools/bootstrap.sh '
                   'test installs them)' % ', '.join(missing))


def keygen(path, comment):
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path],
                   check=True, capture_output=True)
    with open(path + '.pub') as f:
        return f.read().split()[:2]          # [type, base64]


class Sshd:
    """sshd on a free loopback port, its files in folder, letting the
    current user in with the keys in authorized_keys only."""

    def __init__(self, folder):
        self.dir = folder
        os.makedirs(folder)
        # who sshd will let in: the user it runs as (not $USER, which sudo -E keeps)
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.host_key = keygen(os.path.join(folder, 'host_key'), 'host')
        self.port = free_port()
        self.authorized = os.path.join(folder, 'authorized_keys')
        open(self.authorized, 'w').close()
        self.log = os.path.join(folder, 'sshd.log')
        cfg = os.path.join(folder, 'sshd_config')
        with open(cfg, 'w') as f:
            f.write('Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\n'
                    'PidFile %s\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n'
                    'PasswordAuthentication no\nKbdInteractiveAuthentication no\n'
                    'PubkeyAuthentication yes\nAllowUsers %s\nLogLevel VERBOSE\n'
                    % (self.port, os.path.join(folder, 'host_key'), self.authorized,
                       os.path.join(folder, 'sshd.pid'), self.user))
        if os.geteuid() == 0 and not os.path.isdir('/run/sshd'):
            # sshd's privilege separation folder, which its service makes
            os.makedirs('/run/sshd', 0o755, exist_ok=True)
        with open(self.log, 'w') as log:
            self.proc = subprocess.Popen([SSHD, '-D', '-e', '-f', cfg], stdout=log, stderr=log)
        check(wait_until(lambda: listening(self.port) or self.proc.poll() is not None,
                         timeout=15) and self.proc.poll() is None,
              'sshd listens: ' + open(self.log).read()[-2000:])

    def authorize(self, pub):
        with open(self.authorized, 'a') as f:
            f.write(' '.join(pub) + '\n')

    def url(self, path):
        return 'ssh://%s@127.0.0.1:%d%s' % (self.user, self.port, path)

    def known_line(self):
        return '[127.0.0.1]:%d %s\n' % (self.port, ' '.join(self.host_key))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Agent:
    def __init__(self, folder):
        self.sock = os.path.join(folder, 'agent.sock')
        self.proc = subprocess.Popen(['ssh-agent', '-D', '-a', self.sock],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        check(wait_until(lambda: os.path.exists(self.sock), timeout=10), 'ssh-agent is up')

    def add(self, key):
        subprocess.run(['ssh-add', '-q', key], check=True, capture_output=True,
                       env=dict(os.environ, SSH_AUTH_SOCK=self.sock))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def ssh_setup(sb):
    need_ssh()
    folder = os.path.join(sb.dir, 'ssh')
    sshd = Sshd(folder)
    sb.cleanups.append(sshd.stop)
    agent = Agent(folder)
    sb.cleanups.append(agent.stop)
    client = os.path.join(folder, 'client_key')
    sshd.authorize(keygen(client, 'livewatch-test'))
    sb.env['SSH_AUTH_SOCK'] = agent.sock
    remote = bare(sb)
    return sshd, agent, client, remote


def errors(p):
    return [ln for ln in p.stderr.splitlines() if 'cannot push' in ln]


@with_sandbox
def test_ssh_agent_and_known_hosts(sb):
    sshd, agent, client, remote = ssh_setup(sb)
    agent.add(client)
    url = sshd.url(remote)
    configure(sb, push=url)
    serve(sb, 3)
    # the host is in no known_hosts yet: refused, nothing sent
    p = sb.poll()
    said = errors(p)
    eq(len(said), 1, p.stderr)
    name = '[127.0.0.1]:%d' % sshd.port
    check("cannot push to '%s'" % url in said[0] and
          'the host key of %s is not known' % name in said[0] and
          'ssh-keyscan -t ssh-ed25519 -p %d 127.0.0.1' % sshd.port in said[0], said[0])
    check(remote_head(remote, local_branch(sb)) is None, 'nothing pushed to an unknown host')
    # ~/.ssh/known_hosts (HOME is the sandbox), as ssh would write it
    kh = os.path.join(sb.dir, '.ssh', 'known_hosts')
    os.makedirs(os.path.dirname(kh), 0o700)
    with open(kh, 'w') as f:
        f.write('# other hosts\nexample.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkK'
                'CwwNDg8QERITFBUWFxgZGhscHR4f\n' + sshd.known_line())
    serve(sb, 4)
    p = sb.poll()
    eq(errors(p), [], 'no error')
    check(arrived(sb, remote), 'pushed over ssh with the agent\'s key')
    # hashed names (ssh-keygen -H), as HashKnownHosts writes them
    subprocess.run(['ssh-keygen', '-H', '-f', kh], check=True, capture_output=True)
    with open(kh) as f:
        check('|1|' in f.read() and '[127.0.0.1]' not in open(kh).read(), 'hashed')
    serve(sb, 5)
    p = sb.poll()
    eq(errors(p), [], 'no error with hashed names')
    check(arrived(sb, remote), 'pushed with a hashed known_hosts')
    eq(subprocess.run(['git', '--git-dir', remote, 'rev-list', '--count', local_branch(sb)],
                      capture_output=True, text=True).stdout.strip(), str(sb.commits()),
       'every commit arrived')


@with_sandbox
def test_ssh_changed_host_key_refused(sb):
    sshd, agent, client, remote = ssh_setup(sb)
    agent.add(client)
    url = sshd.url(remote)
    kh = os.path.join(sb.dir, 'pinned_hosts')
    impostor = keygen(os.path.join(sb.dir, 'ssh', 'impostor'), 'impostor')
    with open(kh, 'w') as f:
        f.write('[127.0.0.1]:%d %s\n' % (sshd.port, ' '.join(impostor)))
    # the right key in ~/.ssh/known_hosts must not count: push_known_hosts replaces it
    os.makedirs(os.path.join(sb.dir, '.ssh'))
    with open(os.path.join(sb.dir, '.ssh', 'known_hosts'), 'w') as f:
        f.write(sshd.known_line())
    configure(sb, push=url, push_known_hosts=kh)
    serve(sb, 3)
    p = sb.poll()
    said = errors(p)
    eq(len(said), 1, p.stderr)
    check("cannot push to '%s'" % url in said[0] and 'has CHANGED' in said[0] and kh in said[0],
          said[0])
    check(remote_head(remote, local_branch(sb)) is None, 'nothing pushed')
    log = open(sshd.log).read()
    check('Accepted publickey' not in log, 'never logged in: ' + log[-1500:])
    with open(kh, 'w') as f:
        f.write(sshd.known_line())
    serve(sb, 4)
    p = sb.poll()
    check(arrived(sb, remote), 'the key on record: pushed ' + p.stderr)


@with_sandbox
def test_ssh_agent_without_the_key(sb):
    sshd, agent, client, remote = ssh_setup(sb)
    url = sshd.url(remote)
    kh = os.path.join(sb.dir, 'hosts')
    with open(kh, 'w') as f:
        f.write(sshd.known_line())
    stranger = os.path.join(sb.dir, 'ssh', 'stranger')
    keygen(stranger, 'stranger')
    agent.add(stranger)
    configure(sb, push=url, push_known_hosts=kh)
    serve(sb, 3)
    p = sb.poll()
    said = errors(p)
    eq(len(said), 1, p.stderr)
    check("cannot push to '%s'" % url in said[0] and
          "accepted none of ssh-agent's keys for user '%s'" % sshd.user in said[0], said[0])
    sb.env.pop('SSH_AUTH_SOCK')
    serve(sb, 4)
    p = sb.poll()
    check('no ssh-agent' in p.stderr and 'SSH_AUTH_SOCK' in p.stderr, p.stderr)
    sb.env['SSH_AUTH_SOCK'] = agent.sock
    agent.add(client)
    serve(sb, 5)
    p = sb.poll()
    check(arrived(sb, remote), 'the agent has the key now: ' + p.stderr)


if __name__ == '__main__':
    run_tests(globals())
