"""A closed-loop HTTP load generator, run as its own process so that it never shares the server's interpreter:
`concurrency` threads each send one request, wait for the answer, send the next, until `duration` seconds or
`max_requests` have passed. Prints one JSON line: requests, seconds, per-second rate, p50/p99 in ms, and the
count of each status code. Loopback only.

It shares the machine's cores with the server, so it does as little as it can: each request is written out as
bytes once, sent on its own connection (`Connection: close`, as gunicorn's sync workers answer anyway), and
only the status code is read from the answer. http.client's header parsing cost more than twice as much.

    python -m bench.loadgen --port 8000 --path /api/v1/health --concurrency 8 --duration 5
    python -m bench.loadgen --port 8000 --path /api/v1/orders --method POST --bodies bodies.jsonl --token T ...

With `--body-format routed` each line of the bodies file is {"path": ..., "token": ..., "body": {...}}: the body
goes to its own path with its own bearer token (a counter's check-in to its point, with its staff's token);
`--path` and `--token` are then only the defaults for a line without them."""
import argparse
import json
import socket
import statistics
import threading
import time
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--token")
    parser.add_argument("--bodies", help="a file of JSON bodies, one per line, each sent once")
    parser.add_argument("--body-format", choices=("plain", "routed"), default="plain",
                        help="plain: each line is the body; routed: each line is {path, token, body}")
    parser.add_argument("--skip", type=int, default=0, help="bodies already used by earlier runs")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=10_000)
    args = parser.parse_args()

    bodies = None
    if args.bodies:
        with open(args.bodies, encoding="utf-8") as f:
            bodies = [line.strip().encode() for line in f][args.skip:]
    limit = min(args.max_requests, len(bodies)) if bodies is not None else args.max_requests

    def head(path: str, token: str | None) -> str:
        text = f"{args.method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nConnection: close\r\n"
        return text + (f"Authorization: Bearer {token}\r\n" if token else "")

    if bodies is not None:
        routes = [(args.path, args.token)] * limit
        if args.body_format == "routed":
            lines = [json.loads(b) for b in bodies[:limit]]
            routes = [(line.get("path", args.path), line.get("token", args.token)) for line in lines]
            bodies = [json.dumps(line["body"], ensure_ascii=False).encode() for line in lines]
        requests = [f"{head(path, token)}Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n"
                    .encode() + b for (path, token), b in zip(routes, bodies[:limit], strict=True)]
    else:
        requests = [f"{head(args.path, args.token)}\r\n".encode()]

    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    statuses: Counter = Counter()
    deadline = time.perf_counter() + args.duration

    def worker():
        nonlocal issued
        mine, codes = [], Counter()
        while time.perf_counter() < deadline:
            with lock:
                if issued >= limit:
                    break
                n = issued
                issued += 1
            request = requests[n] if bodies is not None else requests[0]
            t0 = time.perf_counter()
            try:
                with socket.create_connection(("127.0.0.1", args.port), timeout=30) as conn:
                    conn.sendall(request)
                    answer = bytearray()
                    while chunk := conn.recv(65536):
                        answer += chunk
                status = int(answer[9:12])  # "HTTP/1.1 201 ..."
            except (OSError, ValueError):
                status = 0
            mine.append((time.perf_counter() - t0) * 1000)
            codes[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    print(json.dumps(dict(requests=len(latencies), seconds=round(seconds, 3),
                          rate=round(len(latencies) / seconds, 1) if seconds else 0.0,
                          p50=round(statistics.median(latencies), 2) if latencies else 0.0, p99=round(p99, 2),
                          statuses={str(k): v for k, v in sorted(statuses.items())}, used=issued)))


if __name__ == "__main__":
    main()
