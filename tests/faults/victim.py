"""A process to be killed (tests/faults/test_kill.py): it runs one piece of work against the test database and,
at the point the test asks for, says "ready" on stdout and waits for its end, which is a kill -9. Its clock is
set to a fixed moment with time_machine, and it runs on the real clock otherwise (tests/real_clock.py).

    python -m tests.faults.victim issue|lapse DATABASE_URI
    python -m tests.faults.victim book DATABASE_URI TOKEN BODIES_FILE READY_AFTER"""
import json
import sys
import threading
from datetime import datetime

import time_machine

from eldercare import create_app
from eldercare.clock import LOCAL, Month
from eldercare.config import TestConfig

MOMENT = datetime(2026, 12, 15, 10, 0, tzinfo=LOCAL)  # the month's vouchers can be issued and lapsed
BATCH = 3  # elders per batch: the town's elders make several batches
STOP_IN = 3  # the batch in whose middle the process dies: two batches are committed, the third is not


def ready_then_wait() -> None:
    print("ready", flush=True)
    threading.Event().wait()  # until killed


def stop_in_batch(module, name: str) -> None:
    """Wrap `module.name` so that its STOP_IN-th call writes its rows (uncommitted) and then waits to be killed."""
    real, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == STOP_IN:
            ready_then_wait()
        return result

    setattr(module, name, wrapper)


def issue_or_lapse(app, what: str) -> None:
    from eldercare.vouchers import issuance, ledger

    issuance.BATCH = BATCH
    if what == "issue":
        stop_in_batch(issuance, "_write")
        run = issuance.issue_period
    else:
        stop_in_batch(ledger, "post_many")
        run = issuance.lapse_period
    with app.app_context():
        run(Month(2026, 12))
    print("finished", flush=True)  # the test fails on this: the process was to die halfway


def book(app, token: str, bodies_file: str, ready_after: int) -> None:
    """Four clients booking at once, each request its own transaction, as under a server's workers; after
    `ready_after` bookings answered, the test kills the process while the rest are in flight."""
    bodies = [line for line in open(bodies_file, encoding="utf-8").read().splitlines() if line]
    answered, lock = [0], threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(share):
        http = app.test_client()
        for body in share:
            status = http.post("/api/v1/orders", data=body, headers=headers).status_code
            assert status in (201, 409), (status, body)
            with lock:
                answered[0] += 1
                if answered[0] == ready_after:
                    print("ready", flush=True)

    threads = [threading.Thread(target=client, args=(bodies[i::4],), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("finished", json.dumps(answered), flush=True)


def main(what: str, uri: str, *rest: str) -> None:
    app = create_app(type("VictimConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri, "COMMIT_GUARD": False}))
    with time_machine.travel(MOMENT):
        if what in ("issue", "lapse"):
            issue_or_lapse(app, what)
        else:
            book(app, rest[0], rest[1], int(rest[2]))


if __name__ == "__main__":
    main(*sys.argv[1:])
