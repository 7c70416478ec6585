"""A real SMTP server (aiosmtpd) standing in for the relay in the outbound email tests.

Accepted messages are written to OUT/<n>.eml; each DATA attempt appends a line to OUT/attempts.
`--defer N` answers the first N DATA commands with 451 (try again later); `--reject ADDRESS`
answers RCPT TO for that address with 550. Prints `READY <port>` once listening; stops on
SIGTERM or when its standard input closes (so a test that dies takes it along).
"""
import argparse
import asyncio
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, defer, reject):
        self.out = out
        self.defer = defer
        self.reject = {a.lower() for a in reject}
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with open(os.path.join(self.out, "attempts"), "a") as f:
            f.write("DATA %s\n" % ",".join(envelope.rcpt_tos))
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 temporarily unavailable, try again later"
        self.accepted += 1
        path = os.path.join(self.out, "%d.eml" % self.accepted)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(path + ".tmp", path)
        return "250 2.0.0 accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--defer", type=int, default=0)
    parser.add_argument("--reject", action="append", default=[])
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    port = free_port()
    controller = Controller(Sink(args.out, args.defer, args.reject), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY %d" % port, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.stdin.read()  # until the parent closes our stdin or dies
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
