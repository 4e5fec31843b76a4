#!/usr/bin/env python3
"""Save -> verdict in watch mode, sdkata against rustlings v6, side by side.

Both watchers run in pseudo-terminals at once, on a passing lesson each
(sdkata's `structs`, rustlings' `structs1`); the script saves one, waits for
its verdict on screen, then the other, RUNS times, and prints the medians and
the median of the pair-by-pair ratios (sdkata / rustlings), so a machine that
drifts in speed affects both sides of each pair alike.

Usage: scripts/measure-vs-rustlings.py [RUNS]   (default 8)
Needs a release build (cargo build --release -p sdkata). rustlings is
installed into the scratch directory with `cargo install rustlings@6`
unless RUSTLINGS names a rustlings binary already.
Nothing here touches the checkout it runs from.
"""
import fcntl, glob, os, pty, select, shutil, signal, statistics, struct, subprocess, sys, tempfile, termios, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
SDKATA = os.path.join(REPO, "target", "release", "sdkata")


class Watch:
    """A watcher in a pseudo-terminal, and what it has drawn."""

    def __init__(self, argv, cwd):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.execv(argv[0], argv)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.out = b""

    def read_until(self, pred, timeout=180):
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.005)
            if r:
                try:
                    self.out += os.read(self.fd, 65536)
                except OSError:
                    break
            if pred(self.out):
                return
        sys.exit(f"no verdict within {timeout} s; last output:\n{self.out[-2000:].decode('utf-8', 'replace')}")

    def stop(self):
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)


def timed_save(watch, path, text, verdict):
    """Seconds from writing `path` to `verdict` appearing in new output."""
    before = len(watch.out)
    t = time.perf_counter()
    with open(path, "w") as f:
        f.write(text)
    watch.read_until(lambda b: verdict(b[before:]))
    return time.perf_counter() - t


def setup_sdkata(tmp):
    root = os.path.join(tmp, "sdkata")
    subprocess.run(["git", "clone", "-q", REPO, root], check=True)
    rel = "01_idioms/01_structs"
    shutil.copytree(os.path.join(root, "solutions", rel, "src"),
                    os.path.join(root, "exercises", rel, "src"), dirs_exist_ok=True)
    subprocess.run(["cargo", "test", "-p", "structs", "--no-run"], cwd=os.path.join(root, "exercises"),
                   capture_output=True, check=True)
    subprocess.run([SDKATA, "run", "structs"], cwd=root, capture_output=True)
    return root, os.path.join(root, "exercises", rel, "src", "lib.rs")


def setup_rustlings(tmp):
    exe = os.environ.get("RUSTLINGS")
    if not exe:
        print("installing rustlings 6 into the scratch directory (a few minutes)...", flush=True)
        subprocess.run(["cargo", "install", "-q", "rustlings@6", "--root", os.path.join(tmp, "rl")], check=True)
        exe = os.path.join(tmp, "rl", "bin", "rustlings")
    work = os.path.join(tmp, "rl-work")
    os.makedirs(work)
    subprocess.run([exe, "init"], cwd=work, input=b"\n", capture_output=True, check=True)
    root = os.path.join(work, "rustlings")
    # The solution of structs1, from the crate's own source.
    src = sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/rustlings-6.*/solutions/07_structs/structs1.rs")))
    if not src:
        sys.exit("cannot find rustlings' solutions in ~/.cargo/registry; set RUSTLINGS after `cargo install rustlings@6`")
    solution = open(src[-1]).read()
    path = os.path.join(root, "exercises", "07_structs", "structs1.rs")
    with open(path, "w") as f:
        f.write(solution)
    # Make structs1 the current exercise.
    with open(os.path.join(root, ".rustlings-state.txt"), "w") as f:
        f.write("DON'T EDIT THIS FILE!\n\nstructs1\n")
    subprocess.run(["cargo", "build", "--bin", "structs1"], cwd=root, capture_output=True)
    return exe, root, path, solution


def main():
    if not os.path.exists(SDKATA):
        sys.exit("build it first: cargo build --release -p sdkata")
    with tempfile.TemporaryDirectory() as tmp:
        sd_root, sd_lib = setup_sdkata(tmp)
        rl_exe, rl_root, rl_file, rl_text = setup_rustlings(tmp)
        sd_text = open(sd_lib).read()

        def sd_done(b):
            frame = b.split(b"\x1b[2J")[-1]
            return b"checking" not in frame and b"stages pass" in frame and b"structs" in frame

        def rl_done(b):
            return b"Exercise done" in b

        sd = Watch([SDKATA, "watch"], sd_root)
        rl = Watch([rl_exe], rl_root)
        try:
            sd.read_until(lambda b: b"\x1b[2J" in b and b"checking" not in b.split(b"\x1b[2J")[-1])
            rl.read_until(rl_done)
            pairs = []
            for i in range(-1, RUNS):  # the first pair warms both up
                a = timed_save(sd, sd_lib, sd_text + f"\n// edit {i}\n", sd_done)
                b = timed_save(rl, rl_file, rl_text + f"\n// edit {i}\n", rl_done)
                if i >= 0:
                    pairs.append((a, b))
        finally:
            sd.stop()
            rl.stop()
        a = statistics.median(p[0] for p in pairs)
        b = statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[0] / p[1] for p in pairs)
        print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, median of {RUNS} pairs")
        print(f"sdkata watch, structs:      {a * 1000:6.0f} ms")
        print(f"rustlings watch, structs1:  {b * 1000:6.0f} ms")
        print(f"ratio sdkata / rustlings:   {ratio:6.2f}")


main()
