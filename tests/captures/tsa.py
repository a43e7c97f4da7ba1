"""A local RFC 3161 timestamping authority for the suite: keys and certificates made by `openssl` in the test,
answers made by `openssl ts -reply`, served over HTTP."""

import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CONFIG = """
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256

[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
"""


def _openssl(*arguments: str, folder: Path) -> None:
    subprocess.run(["openssl", *arguments], cwd=folder, check=True, capture_output=True)


def make_authority(folder: Path) -> Path:
    """A CA and a TSA certificate it signed (critical timeStamping usage), in `folder`; the config's path."""
    config = folder / "tsa.cnf"
    config.write_text(CONFIG.format(folder=folder))
    (folder / "serial").write_text("01\n")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30",
             "-subj", "/CN=Casework test TSA root", folder=folder)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
             "-subj", "/CN=Casework test TSA", folder=folder)  # fmt: skip
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "tsa.crt", "-days", "30", "-extfile", str(config), "-extensions", "tsa_ext",
             folder=folder)  # fmt: skip
    return config


class Authority:
    def __init__(self, folder: Path):
        self.folder = folder
        self.config = make_authority(folder)
        self.ca_file = folder / "ca.crt"
        self.requests = 0
        self.url = ""
        self.lock = threading.Lock()

    def reply(self, query: bytes) -> bytes:
        with self.lock:
            self.requests += 1
            (self.folder / "query.tsq").write_bytes(query)
            subprocess.run(
                ["openssl", "ts", "-reply", "-config", str(self.config), "-queryfile", "query.tsq",
                 "-out", "reply.tsr"],
                cwd=self.folder, check=True, capture_output=True,
            )  # fmt: skip
            return (self.folder / "reply.tsr").read_bytes()


@contextmanager
def serving_authority(authority: Authority):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            query = self.rfile.read(int(self.headers["Content-Length"]))
            body = authority.reply(query)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    authority.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        yield authority
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tsa(tmp_path_factory):
    """A running local timestamping authority: `tsa.url`, `tsa.ca_file`."""
    with serving_authority(Authority(tmp_path_factory.mktemp("tsa"))) as authority:
        yield authority
