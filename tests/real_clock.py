"""The environment for a process a test starts that must run on the real clock.

CI runs the suite a second and a third time with the clock moved by libfaketime (LD_PRELOAD and FAKETIME*, see
.ci/run), which every child process inherits. Chromium never finishes loading a page under it, and Python 3.11's
time.sleep (so also subprocess's timed waits) fails there with EINVAL (libfaketime 0.9.10, issue #426). The
clock that the tests move is the application's, in the test process; the browser and a server started only to
be stopped do not need it."""
import os


def environment(**extra: str) -> dict[str, str]:
    """os.environ without libfaketime, plus `extra`."""
    env = dict(os.environ)
    kept = [lib for lib in env.pop("LD_PRELOAD", "").split(":") if lib and "libfaketime" not in lib]
    if kept:
        env["LD_PRELOAD"] = ":".join(kept)
    for name in [n for n in env if n.startswith("FAKETIME")]:
        del env[name]
    return env | extra
