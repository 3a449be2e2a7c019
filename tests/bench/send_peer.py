#!/usr/bin/env python3
"""The peer of the sending benchmark: Python's smtplib (STARTTLS, AUTH) with
a Sent copy of each mail through imaplib's APPEND, as a mail client does, in
one process or in PROCESSES processes with a connection pair each, sharing
the receipts. Messages are built and flattened before the clock starts, as erpmail's are
composed when they are queued; connecting and signing in are inside it, as
for erpmail. Prints JSON.
  send_peer.py HOST SMTP_PORT IMAP_PORT USER PASS CA RCPT COUNT PDF TAG PROCESSES"""
import imaplib
import json
import multiprocessing
import resource
import smtplib
import ssl
import sys
import time
from email.message import EmailMessage

host, port, imap_port, user, password, ca, rcpt, count, pdf_path, tag, processes = sys.argv[1:12]
count, processes = int(count), int(processes)


def build(i, pdf):
    m = EmailMessage()
    m["From"] = f"Anna Äbi <{user}>"
    m["To"] = rcpt
    m["Subject"] = f"Rechnung {i} für Müller & Söhne {tag}"
    m.set_content(f"Grüezi\nAnbei Rechnung Nr. {i}.\n")
    m.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"Rechnung Müller {i}.pdf")
    return m.as_bytes(policy=m.policy.clone(linesep="\r\n"))


def send(messages, start):
    start.wait()
    ctx = ssl.create_default_context(cafile=ca)
    imap = imaplib.IMAP4_SSL(host, int(imap_port), ssl_context=ctx)
    imap.login(user, password)
    with smtplib.SMTP(host, int(port), timeout=60) as s:
        s.starttls(context=ctx)
        s.login(user, password)
        for m in messages:
            s.sendmail(user, [rcpt], m)
            typ, _ = imap.append("Sent", r"(\Seen)", None, m)
            if typ != "OK":
                raise SystemExit("APPEND failed")
    imap.logout()


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    pdf = open(pdf_path, "rb").read()
    messages = [build(i, pdf) for i in range(count)]
    start = multiprocessing.Event()
    workers = [multiprocessing.Process(target=send, args=(messages[k::processes], start)) for k in range(processes)]
    for w in workers:
        w.start()
    time.sleep(0.5)  # every worker is waiting
    started = time.perf_counter()
    start.set()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if any(w.exitcode for w in workers):
        raise SystemExit("a peer process failed")
    print(json.dumps({"impl": "smtplib", "processes": processes, "count": count, "seconds": round(elapsed, 3),
                      "per_second": round(count / elapsed, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}))
