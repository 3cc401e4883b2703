"""Process-wide memory settings for the server's workers: what a request frees stays for
the next one, and what the worker built at start-up is not walked by every collection."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

# glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(trim_mb: int = 128, mmap_mb: int = 32) -> bool:
    """Let this process keep memory it frees (glibc only; False elsewhere).

    A batch of 1,000 texts allocates and frees arrays of a few MB; glibc handed those
    back to the kernel at each free (trimming the heap's top, or unmapping), so the next
    request faulted them in again: about 1,000 page faults and 3 ms of system time per
    batch, a third of a batch's CPU on a busy virtual machine. Freed memory below the
    thresholds now stays in the process for the next request (up to ``trim_mb`` at the
    heap's top).
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, mmap_mb << 20) and mallopt(M_TRIM_THRESHOLD, trim_mb << 20)
    )


def freeze_startup_objects() -> int:
    """Move every object alive now (modules, the app, its schemas: ~200,000 of them) out
    of the garbage collector's reach; the number moved.

    A batch of 1,000 texts creates thousands of dicts that live until its answer is sent,
    so collections of the oldest generation came every few batches, and each walked every
    object the process had built at start-up: ~100 ms each, about 2 ms per batch. They
    are never garbage, so a worker freezes them once it has built its app (after a
    collection, so nothing already unreachable is kept).
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
