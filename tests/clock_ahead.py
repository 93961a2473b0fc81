"""Runs the in-process tests with the machine's clock moved 400 days ahead (`make test-ahead`).

Every test freezes the clock it drives at CURRENT_TIME (tests/conftest.py), so none should
notice; one that builds its data at a fixed date while something it drives reads the real clock
fails here, long before that date comes. The clock is moved under the whole process tree by
libfaketime, preloaded from the PyPI package `libfaketime`, which builds a fixed libfaketime:
Debian 12's 0.9.10 makes Python's `time.sleep` fail with EINVAL, or its timed waits hang, once
the monotonic clock is left alone. The monotonic clock stays real, so timeouts keep their length.

It runs each test on SQLite only: the PostgreSQL twin of a test drives the same Python with the
same clock, and no statement reads the server's clock, so it would find nothing more and double
the time. Every PostgreSQL test still runs in `make test`.
"""

import os
import sys

from libfaketime import get_reload_information

AHEAD = "+400d"


def main() -> None:
    _, preload = get_reload_information()
    environment = os.environ | preload | {"FAKETIME": AHEAD}
    arguments = ["pytest", "-m", "not processes and not postgres", *sys.argv[1:]]
    os.execvpe(arguments[0], arguments, environment)


if __name__ == "__main__":
    main()
