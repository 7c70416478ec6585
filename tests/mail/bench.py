"""Inbound email throughput: CONCURRENCY threads, each one SMTP connection, send messages (each a
new conversation, or every other one a threaded reply) for DURATION seconds; every 250 means the
message was committed. Prints accepted messages per second and reply-time percentiles.

    python3 tests/mail/bench.py HOST PORT RECIPIENT [DURATION=10] [CONCURRENCY=8]
"""

import smtplib
import sys
import threading
import time
import uuid
from email.message import EmailMessage

host, port, recipient = sys.argv[1], int(sys.argv[2]), sys.argv[3]
duration = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
concurrency = int(sys.argv[5]) if len(sys.argv) > 5 else 8
latencies = []
errors = []
lock = threading.Lock()


def worker(n):
    deadline = time.monotonic() + duration
    previous = None
    mine = []
    with smtplib.SMTP(host, port, timeout=60) as smtp:
        i = 0
        while time.monotonic() < deadline:
            message = EmailMessage()
            message["From"] = "Bench %d <bench%d@example.com>" % (n, n)
            message["To"] = recipient
            message["Message-ID"] = "<%s@bench.example>" % uuid.uuid4()
            message["Subject"] = "Bench %d-%d" % (n, i)
            if previous and i % 2 == 1:
                message["In-Reply-To"] = previous
            message.set_content("Hello, message %d of sender %d.\n\n> quoted\n" % (i, n))
            start = time.monotonic()
            try:
                smtp.send_message(message)
                mine.append(time.monotonic() - start)
            except smtplib.SMTPException as error:
                with lock:
                    errors.append(str(error))
            previous = message["Message-ID"]
            i += 1
    with lock:
        latencies.extend(mine)


threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
started = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - started
latencies.sort()


def percentile(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0


print("accepted %d messages in %.1f s: %.0f/s, p50 %.1f ms, p99 %.1f ms, errors %d"
      % (len(latencies), elapsed, len(latencies) / elapsed, percentile(0.5), percentile(0.99), len(errors)))
if errors:
    print("first error:", errors[0])
