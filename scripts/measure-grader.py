#!/usr/bin/env python3
"""Measures the grader's own speed on a throwaway clone of this repository.

  1. `sdkata run LESSON` against plain cargo, warm, on a passing lesson;
  2. watch mode: from saving a file to the verdict on screen;
  3. `sdkata verify` over the whole course, warm.

Usage: scripts/measure-grader.py [LESSON] [RUNS]   (default: structs 10)
Needs a release build: cargo build --release -p sdkata
Nothing here touches the checkout it runs from.
"""
import fcntl, os, pty, select, shutil, signal, statistics, struct, subprocess, sys, tempfile, termios, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LESSON = sys.argv[1] if len(sys.argv) > 1 else "structs"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
SDKATA = os.path.join(REPO, "target", "release", "sdkata")


def lesson_dirs(root):
    for track in sorted(os.listdir(os.path.join(root, "exercises"))):
        tdir = os.path.join(root, "exercises", track)
        if not os.path.isdir(tdir) or not track[0].isdigit():
            continue
        for d in sorted(os.listdir(tdir)):
            if d.split("_", 1)[-1] == LESSON:
                return f"{track}/{d}"
    sys.exit(f"no lesson {LESSON}")


def timed(cmd, cwd, runs=RUNS):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def watch_latency(root, rel):
    """Median seconds from a save to a screen whose header shows the verdict."""
    lib = os.path.join(root, "exercises", rel, "src", "lib.rs")
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(root)
        os.execv(SDKATA, [SDKATA, "watch"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        return _measure(fd, lib)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


def _measure(fd, lib):
    out = b""

    def read_until(pred, timeout=120):
        nonlocal out
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.01)
            if r:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
            if pred(out):
                return True
        last = out.split(b"\x1b[2J")[-1].decode("utf-8", "replace")
        raise SystemExit(f"watch never showed the verdict; last frame:\n{last}")

    def idle(buf):
        frames = buf.split(b"\x1b[2J")
        return len(frames) > 1 and b"checking" not in frames[-1] and b"not checked" not in frames[-1]

    def settled(buf):
        # The last frame was drawn after a check of LESSON finished.
        frame = buf.split(b"\x1b[2J")[-1]
        return idle(buf) and b"stages pass" in frame and LESSON.encode() + b"\x1b[0m \xe2\x80\x94" in frame

    # Watch opens on the first pending lesson; the first save switches to ours.
    read_until(idle)
    samples = []
    original = open(lib).read()
    for i in range(-1, RUNS):
        before = len(out)
        t = time.perf_counter()
        with open(lib, "w") as f:
            f.write(original + f"\n// edit {i}\n")
        read_until(lambda b: settled(b[before:]) and b"checking" in b[before:])
        if i >= 0:
            samples.append(time.perf_counter() - t)
    with open(lib, "w") as f:
        f.write(original)
    return statistics.median(samples)


def main():
    if not os.path.exists(SDKATA):
        sys.exit("build it first: cargo build --release -p sdkata")
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "sdkata")
        subprocess.run(["git", "clone", "-q", REPO, root], check=True)
        rel = lesson_dirs(root)
        # A passing lesson: the learner's usual state when it matters most.
        shutil.copytree(os.path.join(root, "solutions", rel, "src"),
                        os.path.join(root, "exercises", rel, "src"), dirs_exist_ok=True)
        ex = os.path.join(root, "exercises")
        env_note = f"{os.cpu_count()} cores, median of {RUNS}"
        print(f"warming up (builds the exercises workspace once; {env_note})", flush=True)
        subprocess.run(["cargo", "test", "-p", LESSON, "--no-run"], cwd=ex, capture_output=True)
        subprocess.run([SDKATA, "run", LESSON], cwd=root, capture_output=True)
        cargo_all = timed(["cargo", "test", "-q", "-p", LESSON], ex)
        cargo_tests = timed(["cargo", "test", "-q", "-p", LESSON, "--tests"], ex)
        sdk = timed([SDKATA, "run", LESSON], root)
        print(f"cargo test -p {LESSON}:          {cargo_all*1000:7.0f} ms (includes doctests)")
        print(f"cargo test -p {LESSON} --tests:  {cargo_tests*1000:7.0f} ms")
        print(f"sdkata run {LESSON}:             {sdk*1000:7.0f} ms "
              f"({(sdk / cargo_tests - 1) * 100:+.0f}% vs --tests)")
        print(f"watch, save -> verdict:  {watch_latency(root, rel)*1000:7.0f} ms")
        subprocess.run([SDKATA, "verify"], cwd=root, capture_output=True)  # warm every lesson
        print(f"sdkata verify (warm):    {timed([SDKATA, 'verify'], root, runs=3)*1000:7.0f} ms")


main()
