"""Streaming I/O of the Leads rewrite: the part is inflated in a background thread
(:class:`Prefetch`) and deflated in another (:class:`BackgroundWriter`), zlib releasing the GIL;
the rewriter hands its output on in big blocks (:class:`Output`) with the collector paused."""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
from typing import BinaryIO, Callable, Iterator

CHUNK_BYTES = 1 << 20
FLUSH_BYTES = 1 << 20


@contextlib.contextmanager
def gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Output:
    """Collects output pieces and hands them on in big blocks."""

    def __init__(self, write: Callable[[bytes], None]):
        self._write = write
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, data: bytes) -> None:
        if data:
            self._parts.append(data)
            self._size += len(data)
            if self._size >= FLUSH_BYTES:
                self.flush()

    def flush(self) -> None:
        if self._parts:
            self._write(b"".join(self._parts))
            self._parts = []
            self._size = 0


# --------------------------------------------------------------------------- tables


class Prefetch:
    """Reads (and inflates) a stream in a background thread; zlib releases the GIL.

    Iterate for the chunks; always ``close()`` (or use ``with``), which stops the
    thread even when the consumer gave up half-way.
    """

    def __init__(self, stream: BinaryIO, size: int | None = None, depth: int = 3):
        self._stream = stream
        self._size = size or CHUNK_BYTES
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._work, daemon=True)
        self._t.start()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                chunk = self._stream.read(self._size)
                self._put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # handed to the consumer
            self._put(exc)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._q.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        self._t.join()

    def __enter__(self) -> "Prefetch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BackgroundWriter:
    """Hands writes to a thread (compression + CRC run there, mostly without the GIL)."""

    def __init__(self, write: Callable[[bytes], None], depth: int = 3):
        self._write = write
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._t = threading.Thread(target=self._work, daemon=True)
        self._t.start()

    def _work(self) -> None:
        while True:
            data = self._q.get()
            if data is None:
                return
            if self._error is None:
                try:
                    self._write(data)
                except BaseException as exc:
                    self._error = exc

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(data)

    def close(self) -> None:
        self._q.put(None)
        self._t.join()
        if self._error is not None:
            raise self._error
