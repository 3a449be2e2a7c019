#!/usr/bin/env python3
"""The peer of the sending benchmark: Python's smtplib over one connection
(STARTTLS, AUTH), the same receipts. Messages are built before the clock
starts; prints JSON."""
import json
import resource
import smtplib
import ssl
import sys
import time
from email.message import EmailMessage

host, port, user, password, ca, rcpt, count, pdf_path, tag = sys.argv[1:10]
pdf = open(pdf_path, "rb").read()
messages = []
for i in range(int(count)):
    m = EmailMessage()
    m["From"] = f"Anna Äbi <{user}>"
    m["To"] = rcpt
    m["Subject"] = f"Rechnung {i} für Müller & Söhne {tag}"
    m.set_content(f"Grüezi\nAnbei Rechnung Nr. {i}.\n")
    m.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"Rechnung Müller {i}.pdf")
    messages.append(m)
ctx = ssl.create_default_context(cafile=ca)
started = time.perf_counter()
with smtplib.SMTP(host, int(port), timeout=60) as s:
    s.starttls(context=ctx)
    s.login(user, password)
    for m in messages:
        s.send_message(m)
elapsed = time.perf_counter() - started
print(json.dumps({"impl": "smtplib", "count": len(messages), "seconds": round(elapsed, 3),
                  "per_second": round(len(messages) / elapsed, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
