"""Reading an IMAP folder without changing it, against a real Dovecot (tests/dovecot.py)."""

from __future__ import annotations

import socket
import ssl

import pytest

from dovecot import PASSWORD, USER, free_port
from lettersmith.deliver.inbox import imap, wire
from lettersmith.errors import DeliveryError
from lettersmith.model import ImapSettings


def message(number: int, size: int = 0) -> bytes:
    body = "Hei\r\n" + "x" * size
    return (
        f"From: Kari <kari@example.no>\r\nTo: post@example.org\r\nSubject: Melding {number}\r\n"
        f"Message-ID: <m{number}@example.no>\r\nDate: Thu, 03 Dec 2026 10:00:00 +0100\r\n\r\n{body}"
    ).encode()


def settings(server, **changes) -> ImapSettings:
    values = {"host": "127.0.0.1", "port": server.port, "security": "none", "username": USER}
    return ImapSettings(**(values | changes))


@pytest.fixture(autouse=True)
def imap_password(monkeypatch):
    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", PASSWORD)


def test_new_messages_are_read_without_being_marked_read(dovecot):
    for number in (1, 2, 3):
        dovecot.deliver(message(number))
    before = dovecot.flags()
    with imap.open_folder(settings(dovecot)) as folder:
        uids = folder.uids_after(0)
        assert len(uids) == 3
        got = folder.fetch(uids)
        assert b"Subject: Melding 2" in got[uids[1]]
        assert folder.uids_after(uids[-1]) == []  # `n:*` never gives the last one again
        assert folder.uids_after(uids[0]) == uids[1:]
    after = dovecot.flags()
    assert after == before
    assert all("\\Seen" not in flags for _, flags in after)


def test_sizes_are_known_before_fetching_and_headers_alone_can_be_read(dovecot):
    dovecot.deliver(message(1, size=50_000))
    with imap.open_folder(settings(dovecot)) as folder:
        (uid,) = folder.uids_after(0)
        assert folder.sizes([uid])[uid] > 50_000
        header = folder.fetch([uid], header_only=True)[uid]
    assert b"Subject: Melding 1" in header and b"xxxx" not in header


def test_a_wrong_password_is_named_and_never_shown(dovecot, monkeypatch):
    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", "feil-passord-123")
    with pytest.raises(DeliveryError) as caught, imap.open_folder(settings(dovecot)):
        pass
    text = str(caught.value)
    assert text.startswith(f"127.0.0.1:{dovecot.port}: the server refused the login for ")
    assert "feil-passord-123" not in text


def test_the_smtp_password_serves_when_there_is_no_imap_one(dovecot, monkeypatch):
    monkeypatch.delenv("LETTERSMITH_IMAP_PASSWORD")
    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", PASSWORD)
    with imap.open_folder(settings(dovecot)) as folder:
        assert folder.uids_after(0) == []


def test_a_missing_folder_is_named_with_the_folders_there_are(dovecot):
    with (
        pytest.raises(DeliveryError, match=r"there is no folder 'Svar'.*one of: INBOX"),
        imap.open_folder(settings(dovecot, folder="Svar")),
    ):
        pass


def test_nothing_answering_and_no_such_host_say_so():
    port = free_port()
    unused = ImapSettings("127.0.0.1", port, USER, security="none")
    refused = f"127.0.0.1:{port}: cannot connect to the mail server: nothing answers on port {port}"
    with pytest.raises(DeliveryError, match=refused), imap.open_folder(unused):
        pass
    nowhere = ImapSettings("imap.invalid", 993, USER)
    unknown = "there is no server named imap.invalid .*check the spelling of mail.imap.host"
    with pytest.raises(DeliveryError, match=unknown), imap.open_folder(nowhere):
        pass


def test_a_server_that_does_not_answer_in_time_stops_the_run():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        quiet = ImapSettings("127.0.0.1", port, USER, security="none")
        with (
            pytest.raises(DeliveryError, match="no answer from the server in time"),
            imap.open_folder(quiet, limits=imap.Limits(timeout=0.5)),
        ):
            pass


def test_ssl_to_a_plain_port_is_a_tls_failure(dovecot):
    with (
        pytest.raises(DeliveryError, match="the encryption could not be agreed"),
        imap.open_folder(settings(dovecot, security="ssl")),
    ):
        pass


def test_starttls_is_refused_when_the_server_does_not_offer_it(dovecot):
    with (
        pytest.raises(DeliveryError, match="does not offer STARTTLS"),
        imap.open_folder(settings(dovecot, security="starttls")),
    ):
        pass


@pytest.mark.parametrize(
    ("name", "written"),
    [("INBOX", "INBOX"), ("Sendte elementer", "Sendte elementer"), ("Utgående", "Utg&AOU-ende"),
     ("R&D", "R&-D"), ("Svar/Æøå", "Svar/&AMYA+ADl-")],
)  # fmt: skip
def test_folder_names_in_modified_utf7(name, written):
    assert wire.encode_name(name) == written
    assert wire.decode_name(written) == name


def test_uid_sets_are_written_as_ranges():
    assert wire.uid_set([9, 1, 2, 3, 7, 10]) == "1:3,7,9:10"
    assert wire.uid_set([5]) == "5"


def test_unencrypted_imap_to_another_machine_is_refused(monkeypatch):
    remote = ImapSettings("imap.example.org", 143, USER, security="none")
    with pytest.raises(DeliveryError, match="allowed only to this machine"):
        imap.check_settings(remote)


def test_no_password_in_the_environment_is_said_before_connecting(monkeypatch):
    monkeypatch.delenv("LETTERSMITH_IMAP_PASSWORD")
    monkeypatch.delenv("LETTERSMITH_SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError, match="neither LETTERSMITH_IMAP_PASSWORD nor"):
        imap.check_settings(ImapSettings("imap.example.org", 993, USER))


def test_tls_context_is_verified_by_default():
    context = ssl.create_default_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_certificate_no_one_trusts_stops_before_the_login(dovecot_tls):
    for security, port in (("ssl", dovecot_tls.ssl_port), ("starttls", dovecot_tls.port)):
        with (
            pytest.raises(
                DeliveryError, match="certificate cannot be trusted.*SSL_CERT_FILE"
            ) as caught,
            imap.open_folder(settings(dovecot_tls, security=security, port=port)),
        ):
            pass
        assert str(caught.value).startswith(f"127.0.0.1:{port}: ")
    assert "Login: user=" not in dovecot_tls.log()


def test_a_certificate_trusted_through_ssl_cert_file_is_read(dovecot_tls, monkeypatch):
    """How an organisation with its own certificate authority trusts it (README)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.cafile))
    dovecot_tls.deliver(message(1))
    for security, port in (("ssl", dovecot_tls.ssl_port), ("starttls", dovecot_tls.port)):
        with imap.open_folder(settings(dovecot_tls, security=security, port=port)) as folder:
            assert len(folder.uids_after(0)) == 1


def test_only_reading_commands_are_ever_sent(dovecot, monkeypatch):
    """Whatever the folder holds, the client asks the server nothing that could change it."""
    import imaplib

    sent: list[str] = []
    fetched: list[str] = []
    original = imaplib.IMAP4._command

    def recording(self, name, *args):
        sent.append(f"{name} {args[0]}" if name == "UID" else name)
        if name == "UID" and args[0] == "FETCH":
            fetched.append(str(args[-1]))
        return original(self, name, *args)

    monkeypatch.setattr(imaplib.IMAP4, "_command", recording)
    for number in range(1, 4):
        dovecot.deliver(message(number, size=3000 if number == 2 else 0))
    with imap.open_folder(settings(dovecot)) as folder:
        uids = folder.uids_after(0)
        folder.sizes(uids)
        folder.fetch(uids[:1])
        folder.fetch(uids[1:], header_only=True)
    with pytest.raises(DeliveryError), imap.open_folder(settings(dovecot, folder="Nei")):
        pass
    assert set(sent) <= {"CAPABILITY", "LOGIN", "EXAMINE", "UID SEARCH", "UID FETCH", "LIST",
                         "LOGOUT"}  # fmt: skip
    assert "EXAMINE" in sent and "SELECT" not in sent
    bodies = [items for items in fetched if "BODY" in items]
    assert bodies == ["(UID BODY.PEEK[])", "(UID BODY.PEEK[HEADER])"]  # never marked read


@pytest.mark.parametrize(
    ("folder", "on_disk"), [("Svar fra departementet", "Svar fra departementet"),
                            ("Utgående svar", "Utg&AOU-ende svar")],
)  # fmt: skip
def test_a_folder_with_spaces_or_letters_beyond_ascii_is_read(dovecot, folder, on_disk):
    dovecot.deliver(message(1), folder=on_disk)
    with imap.open_folder(settings(dovecot, folder=folder)) as opened:
        (uid,) = opened.uids_after(0)
        assert b"Subject: Melding 1" in opened.fetch([uid])[uid]
    with (
        pytest.raises(DeliveryError, match=f"one of: INBOX, {folder}"),
        imap.open_folder(settings(dovecot, folder="Finnes ikke")),
    ):
        pass


def test_a_glance_gives_size_structure_and_header_without_the_body(dovecot):
    """Even when the structure holds names the server sends as literals (quotes, 8-bit)."""
    odd = (
        "From: Kari <kari@example.no>\r\nSubject: Vedlegg\r\nMessage-ID: <odd@example.no>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nSe vedlegg.\r\n"
        '--B\r\nContent-Type: application/pdf; name="sv\\"ar \xe6\xf8\xe5.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + "QUJD" * 4000 + "\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
        "--B--\r\n"
    ).encode("latin-1")
    dovecot.deliver(message(1))
    dovecot.deliver(odd)
    with imap.open_folder(settings(dovecot)) as folder:
        uids = folder.uids_after(0)
        glances = folder.glance(uids)
    plain, weird = glances[uids[0]], glances[uids[1]]
    assert plain.header.startswith(b"From: Kari") and b"Hei" not in plain.header
    assert weird.size > 16_000 and weird.header.endswith(b"\r\n\r\n")
    assert b"Subject: Vedlegg" in weird.header and b"QUJD" not in weird.header
    assert b"DELIVERY-STATUS" in weird.structure.upper()


def test_without_dovecot_the_tests_skip_and_under_ci_they_fail(monkeypatch):
    import dovecot as server

    monkeypatch.setattr(server, "DOVECOT", "/nonexistent/dovecot")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Dovecot is not installed"):
        server.require()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs Dovecot"):
        server.require()
