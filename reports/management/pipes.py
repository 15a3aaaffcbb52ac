"""Output of management commands that may be piped into another program."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import OutputWrapper

#: The status a shell reports for a program ended by SIGPIPE (128 + 13), as `seq | head` ends.
READER_LEFT = 141


@contextmanager
def ending_quietly_if_the_reader_leaves(stdout: OutputWrapper) -> Iterator[None]:
    """Write to `stdout` within this; if the program reading it stops (`| head`), end quietly.

    The command then exits with status 141, as programs ended by SIGPIPE do, instead of a
    BrokenPipeError traceback. Whatever is still buffered is flushed here, so that a reader
    leaving after the last write is noticed too.
    """
    try:
        yield
        stdout.flush()
    except BrokenPipeError:
        # Python flushes its standard output again on the way out and would print another
        # error: send what is left in the buffer to /dev/null. Only for the process's own
        # stdout, never a stream a caller passed in.
        if getattr(stdout, "_out", stdout) is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        raise SystemExit(READER_LEFT) from None
