"""A real IMAP server for the tests: Dovecot from Debian (``dovecot-imapd``), run as an ordinary
process with its own configuration, log and Maildir in a temporary folder.

Started with ``dovecot -F -c FOLDER/dovecot.conf`` (in the foreground, so it is our child) on
127.0.0.1 and a free port, one user from a passwd-file with a plain password. As root, Dovecot
will not run mail processes as root: they run as the ``dovecot`` user the package creates,
which then owns the Maildir (and the folder is made readable to it). Mail is put in by writing
files into the Maildir's ``new/`` (as a delivery agent does), so the tests never use the
protocol they check to prepare it.

Without Dovecot the tests that need it are skipped with the reason; under ``CI`` they fail.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "post@example.org"
PASSWORD = "imap-hemmelig-77"

_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
instance_name = lettersmith-test-{port}
{users}
ssl = {ssl}
{certificate}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
mail_location = maildir:{folder}/home/%u/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def available() -> str | None:
    """Why Dovecot cannot run here, or None when it can."""
    if not Path(DOVECOT).is_file():
        return "Dovecot is not installed (apt-get install dovecot-imapd)"
    if os.getuid() == 0:
        try:
            pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError:
            return "the dovecot and dovenull users are missing (the Debian package makes them)"
    return None


def require() -> None:
    reason = available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Dovecot for the inbox tests: {reason}")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Dovecot:
    """A running Dovecot; ``deliver`` puts a message in a folder, ``client`` logs in."""

    folder: Path
    port: int  # plain IMAP (and STARTTLS when ``tls``)
    ssl_port: int = 0  # implicit TLS, when ``tls``
    user: str = USER
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = None
    uid: int = field(default_factory=os.getuid)
    gid: int = field(default_factory=os.getgid)
    cafile: Path | None = None
    _counter: int = 0

    @property
    def maildir(self) -> Path:
        return self.folder / "home" / self.user / "Maildir"

    def deliver(self, data: bytes, folder: str = "INBOX") -> Path:
        """Put one message into ``folder`` as a delivery agent does (a file in ``new/``)."""
        base = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        for sub in ("cur", "new", "tmp"):
            self._mkdir(base / sub)
        self._counter += 1
        name = f"{time.time_ns()}.M{self._counter}P{os.getpid()}.lettersmith-test"
        path = base / "new" / name
        path.write_bytes(data)
        if os.getuid() == 0:
            os.chown(path, self.uid, self.gid)
        return path

    def new_uidvalidity(self) -> None:
        """Make the server give INBOX a new UIDVALIDITY (as after a restore or a migration)."""
        self.stop()
        for name in (
            "dovecot-uidlist",
            "dovecot.index",
            "dovecot.index.cache",
            "dovecot.index.log",
        ):
            (self.maildir / name).unlink(missing_ok=True)
        # Dovecot takes the time as the new UIDVALIDITY: make sure it is a new second.
        time.sleep(1.1)
        self.start()

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(self.user, self.password)
        return conn

    def flags(self) -> list[tuple[int, str]]:
        """Every message's UID and flags in INBOX, as the server has them now (read without
        changing them: a test compares them before and after lettersmith reads)."""
        conn = self.client()
        try:
            conn.select("INBOX", readonly=True)
            _, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
        finally:
            conn.logout()
        found = []
        for line in data:
            if isinstance(line, bytes):
                text = line.decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                found.append((uid, text.split("FLAGS ")[1].split(")")[0]))
        return sorted(found)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise RuntimeError(f"dovecot stopped at once: {output}{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def _mkdir(self, path: Path) -> None:
        missing = []
        while not path.exists():
            missing.append(path)
            path = path.parent
        for folder in reversed(missing):
            folder.mkdir()
            if os.getuid() == 0:
                os.chown(folder, self.uid, self.gid)


def make(tls: tuple[Path, Path] | None = None) -> Dovecot:
    """A configured (not yet started) Dovecot in a new temporary folder.

    The folder is made outside pytest's own temporary folder, which only root may enter, so
    that the ``dovecot`` user can reach the Maildir.
    """
    folder = Path(tempfile.mkdtemp(prefix="lettersmith-dovecot-"))
    folder.chmod(0o755)
    server = Dovecot(folder, free_port(), free_port() if tls else 0)
    if os.getuid() == 0:
        user = pwd.getpwnam("dovecot")
        server.uid, server.gid = user.pw_uid, user.pw_gid
        users = (
            "default_internal_user = dovecot\ndefault_internal_group = dovecot\n"
            "default_login_user = dovenull"
        )
    else:  # an ordinary user: every process runs as that user
        name = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        users = (
            f"default_internal_user = {name}\ndefault_internal_group = {group}\n"
            f"default_login_user = {name}"
        )
    certificate = ""
    if tls:
        cert, key = tls
        certificate = f"ssl_cert = <{cert}\nssl_key = <{key}"
    (folder / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}::::::\n")
    (folder / "dovecot.conf").write_text(
        _CONF.format(
            folder=folder,
            port=server.port,
            users=users,
            ssl="yes" if tls else "no",
            certificate=certificate,
            uid=server.uid,
            gid=server.gid,
            imap_port=server.port,
            imaps_port=server.ssl_port,
        )
    )
    server._mkdir(server.maildir)
    return server


def remove(server: Dovecot) -> None:
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)
