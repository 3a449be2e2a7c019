#!/usr/bin/env python3
"""The bench user's Sent folder for the sending benchmark, outside both clocks.
  sent_folder.py fill MAILDIR N                 puts N receipts (about 4 KB each) into MAILDIR/.Sent
  sent_folder.py mark HOST PORT USER PASS CA    prints the folder's UIDNEXT and message count
  sent_folder.py take HOST PORT USER PASS CA UIDNEXT
      prints how many messages arrived from UIDNEXT on, and how many of them are
      flagged \\Seen, then removes them, so that every run starts from the same folder."""
import imaplib
import os
import pwd
import re
import ssl
import sys
import time


def fill(maildir, n):
    folder = os.path.join(maildir, ".Sent")
    mail = pwd.getpwnam("mail")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    body = ("Grüezi\nAnbei die Rechnung.\n" + "Position 1  Beratung  120.00 CHF\n" * 100).encode()
    now = int(time.time())
    for i in range(n):
        head = (f"From: Anna Abi <bench@erpmail.test>\nTo: bob@erpmail.test\nSubject: Rechnung alt {i}\n"
                f"Message-ID: <old-{i}-{now}@erpmail.test>\nDate: Mon, 2 Nov 2026 09:00:00 +0000\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
        path = os.path.join(folder, "cur", f"{now - n + i}.M{i}P1.bench:2,S")
        with open(path, "wb") as f:
            f.write(head.encode() + body)
    for d, _, files in os.walk(maildir):
        os.chown(d, mail.pw_uid, mail.pw_gid)
        for name in files:
            os.chown(os.path.join(d, name), mail.pw_uid, mail.pw_gid)


def login(host, port, user, password, ca):
    imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(cafile=ca))
    imap.login(user, password)
    return imap


def mark(imap):
    typ, data = imap.status("Sent", "(UIDNEXT MESSAGES)")
    found = dict(re.findall(rb"(UIDNEXT|MESSAGES) (\d+)", data[0]))
    return int(found[b"UIDNEXT"]), int(found[b"MESSAGES"])


def take(imap, uidnext):
    imap.select("Sent")
    typ, data = imap.uid("SEARCH", f"UID {uidnext}:*")
    uids = [u for u in data[0].split() if int(u) >= uidnext]
    seen = 0
    if uids:
        typ, data = imap.uid("SEARCH", f"UID {uidnext}:* SEEN")
        seen = len([u for u in data[0].split() if int(u) >= uidnext])
        imap.uid("STORE", f"{uidnext}:*", "+FLAGS.SILENT", r"(\Deleted)")
        imap.expunge()
    return len(uids), seen


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "fill":
        fill(sys.argv[2], int(sys.argv[3]))
    else:
        imap = login(*sys.argv[2:7])
        if what == "mark":
            print(*mark(imap))
        else:
            print(*take(imap, int(sys.argv[7])))
        imap.logout()
