"""Settings for the process that runs a chapter, so that a TensorFlow chapter fits a 1 GB Binder.

Applied when ``course_utils`` is imported, so they reach every reader (Binder, Colab, a local
kernel), and before TensorFlow creates its thread pools, even where a chapter imports Keras
first: TensorFlow starts those threads at its first operation, not at its import.

glibc's ``malloc`` gives every new thread its own arena, up to 8 per core, and each arena keeps
memory that was freed for reuse by that thread alone. With TensorFlow's thread pools that held
about 50 MB after chapter 3's ``fit`` and raised its peak by about 30 MB (benchmarks/memory.py).
Two arenas train as fast. A reader's own ``MALLOC_ARENA_MAX`` wins.
"""

import os

MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc's malloc.h)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; False where that cannot apply.

    Does nothing where the C library is not glibc, or where ``MALLOC_ARENA_MAX`` is set (glibc
    has read it at start-up).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
    except (ValueError, OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return False
    import ctypes

    return ctypes.CDLL(None).mallopt(_M_ARENA_MAX, arenas) == 1
