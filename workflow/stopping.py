"""Stopping on SIGTERM or SIGINT between two units of work (two messages), not in the middle of one."""

from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager

log = logging.getLogger(__name__)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def threads_leave_signals_to_main():
    """Threads started inside do not take SIGTERM/SIGINT (they inherit the blocked mask), so the kernel
    hands them to the main thread, which wakes at once to run the handler: a worker thread that took
    the signal would leave the handler waiting until the main thread next wakes, and the work going on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


@contextmanager
def stop_on_signals(stop: threading.Event | None = None):
    """An Event that SIGTERM and SIGINT set while inside, for the work to look at between its steps.

    The handlers are installed only in the main thread (Python's rule) and the previous ones are put
    back on leaving.
    """
    stop = stop or threading.Event()
    previous = {}

    def request_stop(signum, _frame):
        if stop.is_set():  # e.g. `timeout` signals the process and then its group
            return
        log.info("%s received: stopping after the current step", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, request_stop)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
