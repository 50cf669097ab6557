"""Keep freed memory for reuse: a training step allocates the same large arrays again and again.

A step of a language model creates arrays of tens of MB (the (N*T, V) logits and their gradient)
and frees them.  glibc's malloc hands blocks that large straight back to the operating system,
so the next step's arrays start as fresh pages, and the kernel must fault in and zero every page
again: about 8 ms of a 45 ms Rnnlm step (benchmarks/rnnlm_step.py).  Raising malloc's mmap and
trim thresholds keeps such blocks in the process's heap for the next step instead.  Nothing
changes in what the code computes; on systems without glibc this does nothing.
"""
import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's upper limit on 64-bit systems
_TRIM_THRESHOLD = 1024 * 1024 * 1024


def reuse_freed_memory():
    """Ask glibc's malloc to keep freed blocks of up to 32 MB for reuse. -> True if it did."""
    name = ctypes.util.find_library('c')
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
