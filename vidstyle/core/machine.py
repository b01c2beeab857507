"""The machine a job runs on: its CPUs, its free memory, and the C allocator's settings for a process that
stylizes frame after frame."""

from __future__ import annotations

import ctypes
import os


def keep_freed_memory() -> None:
    """Keep freed memory in the process instead of handing it back to the kernel (glibc only).

    Each frame allocates and frees activations of tens of MiB. glibc serves those by mmap (or trims the heap
    after them), so every frame faults its memory in again, page by page: measured on the fast network at
    640x360, 100 -> 70 ms a frame, and 1090 -> 770 ms at 1920x1080, with the same peak memory. The usual fix
    is to preload jemalloc or tcmalloc; these settings do the same for a process already running. They hold
    for the main heap only: each other thread gets a heap of its own (an arena, 64 MiB at most), which cannot
    keep a 1080p frame's buffers and hands them back at once, so the job's helper threads (the output temporal
    term, at 1080p 130 CPU-ms of work, faulted in another 60) share the main one. Measured with `vidstyle video`
    on fast, 70 frames of mdn_flower at 1920x1080: 1.59 and 1.66 -> 1.83 and 1.87 fps, peak RSS 3.8 -> 3.1 GB;
    at 640x360 the same rate (10.6-11.5 fps), 1.13 -> 1.06 GB. Call it before the process starts its threads.
    """
    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(m_mmap_threshold, 1 << 30)  # blocks up to 1 GiB come from the reusable heap
        libc.mallopt(m_trim_threshold, (1 << 31) - 1)  # and the heap is never shrunk
        libc.mallopt(m_arena_max, 1)  # one heap for every thread (Python's small objects have their own allocator)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator does what it does


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def memory_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
