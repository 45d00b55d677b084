#!/usr/bin/env python3
"""Shows what the demo's SMTP sink received: each message's recipients, subject and attachments,
saved under MAILDIR/attachments/. Used by `make demo`.

    show-mail.py MAILDIR
"""
import email
import mailbox
import os
import sys
from email import policy

maildir = sys.argv[1]
out = os.path.join(maildir, "attachments")
os.makedirs(out, exist_ok=True)
box = mailbox.Maildir(maildir, factory=None, create=False)
count = 0
for key in sorted(box.keys()):
    message = email.message_from_bytes(box.get_bytes(key), policy=policy.default)
    count += 1
    print(f"mail to {message['to']}: {message['subject']}")
    for part in message.iter_attachments():
        name = os.path.basename(part.get_filename() or "unnamed")
        payload = part.get_payload(decode=True) or b""
        with open(os.path.join(out, name), "wb") as f:
            f.write(payload)
        print(f"  attached: {name} ({len(payload):,} bytes) -> {os.path.relpath(os.path.join(out, name))}")
if count == 0:
    sys.exit("no mail arrived at the demo's SMTP sink")
