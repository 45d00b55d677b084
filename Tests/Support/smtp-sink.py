#!/usr/bin/env python3
"""A real SMTP server for restorecheck's mail tests (aiosmtpd), storing what it accepts in a Maildir.

    smtp-sink.py PORT MAILDIR CERT KEY USER PASSWORD

Listens on 127.0.0.1:PORT, offers STARTTLS with CERT/KEY and requires it before anything else, and
accepts AUTH (PLAIN/LOGIN) for USER/PASSWORD only, after TLS. Prints "ready" when it answers.
"""
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, maildir, cert, key, user, password = sys.argv[1:7]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Mailbox(maildir), hostname="127.0.0.1", port=int(port), tls_context=context, require_starttls=True,
    authenticator=authenticator, auth_required=True, auth_require_tls=True)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
