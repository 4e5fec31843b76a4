#!/usr/bin/env python3
"""Bounded load on the case-study services, on loopback, from their release binaries.

  task_queue: N `compute` tasks enqueued, then 4 worker processes drain them;
              tasks per second from the first worker's start to the broker's
              `tasks_completed` reaching N (the broker on its fsynced log).

Usage: scripts/measure-case-studies.py [task_queue] [N]   (default: task_queue 2000)
Builds the reference solutions with `cargo build --release`. Everything runs in
a temporary directory on 127.0.0.1 and every process it starts is killed at the end.
"""
import http.client, json, os, subprocess, sys, tempfile, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHAT = sys.argv[1] if len(sys.argv) > 1 else "task_queue"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
BOUND_SECS = 120  # a load loop that runs longer than this is stopped


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))


def start(binary, args):
    """Starts a service binary and returns (process, port) from its readiness line."""
    proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        sys.exit(f"{binary} printed {line!r} instead of its readiness line")
    return proc, int(line.rsplit(":", 1)[1])


def call(conn, method, path, body=None):
    data = None if body is None else json.dumps(body)
    headers = {} if body is None else {"content-type": "application/json"}
    conn.request(method, path, body=data, headers=headers)
    reply = conn.getresponse()
    return reply.status, reply.read()


def metric(conn, name):
    _, text = call(conn, "GET", "/metrics")
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def task_queue():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "task_queue"], cwd=REPO, check=True)
    bins = os.path.join(target_dir(), "release")
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            broker, port = start(os.path.join(bins, "task_queue"), ["--data-dir", os.path.join(tmp, "broker")])
            procs.append(broker)
            conn = http.client.HTTPConnection("127.0.0.1", port)
            for n in range(N):
                status, _ = call(conn, "POST", "/tasks", {"kind": "compute", "payload": {"n": n + 1}})
                assert status == 201, status
            started = time.monotonic()
            for i in range(4):
                worker, _ = start(
                    os.path.join(bins, "worker"),
                    ["--broker", f"127.0.0.1:{port}", "--data-dir", os.path.join(tmp, f"w{i}"), "--id", f"w{i}"],
                )
                procs.append(worker)
            while metric(conn, "tasks_completed") < N:
                if time.monotonic() - started > BOUND_SECS:
                    sys.exit(f"not done after {BOUND_SECS} s")
                time.sleep(0.01)
            secs = time.monotonic() - started
            fsyncs = metric(conn, "wal_fsyncs")
            print(f"task_queue: {N} compute tasks, 4 workers: {secs:.2f} s, {N / secs:.0f} tasks/s, {fsyncs:.0f} fsyncs")
    finally:
        for p in procs:
            p.kill()
            p.wait()


{"task_queue": task_queue}[WHAT]()
