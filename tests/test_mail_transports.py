"""MAIL_URL's transports against a real SMTP server: smtps:// (TLS from the first byte),
smtp://...?starttls=true (with a login, user and password percent-decoded from the URL), and
a plain smtp:// sender to a server that requires STARTTLS: the password never goes in clear,
and the mail waits (it is tried again, not lost). The server's certificate is made for the test and trusted through SSL_CERT_FILE."""

import ssl
import subprocess

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.auth_helpers import signup_api
from tests.mail_helpers import SmtpServer, eventually, scalar

pytestmark = pytest.mark.gen_test(timeout=60)

USER, SECRET = "mailer", "p@ss:word"


@pytest.fixture
def tls(tmp_path, monkeypatch) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 that the app's client trusts."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what ssl.create_default_context() trusts
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def check_login(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN201
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        SECRET.encode(),
    )
    return AuthResult(success=ok)


@pytest.fixture
def server(request, tls):
    kind = request.param
    if kind == "smtps":
        server = SmtpServer(ssl_context=tls)
    else:  # a server that requires STARTTLS, then a login
        server = SmtpServer(
            tls_context=tls, require_starttls=True, authenticator=check_login, auth_required=True
        )
    server.start()
    yield server
    server.stop()


URLS = {
    "smtps": "smtps://127.0.0.1:{port}",
    "starttls": "smtp://mailer:p%40ss%3Aword@127.0.0.1:{port}?starttls=true",
    "plain": "smtp://mailer:p%40ss%3Aword@127.0.0.1:{port}",
}


@pytest.fixture
def settings_overrides(request, server, mail_settings):
    return {**mail_settings, "mail_url": URLS[request.param].format(port=server.port)}


@pytest.fixture
def app(real_app, mailer):
    return real_app


@pytest.mark.parametrize(
    ("server", "settings_overrides"), [("smtps", "smtps"), ("starttls", "starttls")], indirect=True
)
async def test_mail_goes_over_tls(client, server):
    assert (await signup_api(client)).status == 201
    mail = (await server.wait_for("ada@example.com"))[0]
    assert mail.subject == "Confirm your email address for Tornado Pages"


@pytest.mark.parametrize(("server", "settings_overrides"), [("starttls", "plain")], indirect=True)
async def test_without_starttls_no_login_goes_in_clear_and_the_mail_waits(client, server, app):
    assert (await signup_api(client)).status == 201

    async def refused() -> bool:
        return ((await scalar(app, "SELECT attempts FROM outbox")) or 0) >= 2

    await eventually(refused, what="the plain deliveries were refused")
    # the client does not send the password over a plain connection (and the server would
    # not take the mail without STARTTLS)
    assert "TLS" in await scalar(app, "SELECT last_error FROM outbox")
    assert await scalar(app, "SELECT failed_at FROM outbox") is None  # not given up: tried again
    assert server.count() == 0
