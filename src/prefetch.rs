//! A hint to the processor to start loading a value's cache lines now, for reads that come
//! soon: the engine knows an event ahead which chat and agent that event touches, and on a desk
//! too big for the cache each of those reads is otherwise a miss taken in turn.
//!
//! A hint only: it never faults, reads nothing into the program and changes no result. On
//! targets other than x86-64 it does nothing.

/// Cache line size assumed (every x86-64 processor in use).
const LINE: usize = 64;

/// Agents above which a desk's per-agent records are prefetched before they are read (the
/// engine's, an event ahead and as a chat starts; the board's, at each trim of a queue). Below,
/// every per-agent table stays in the cache (the board's 32-byte slots are 128 KB at this size,
/// the engine's and recorders' records a few hundred more), and the hints would only cost
/// instructions: 2% of an M/M/100 run. One threshold, so the layers agree on what a big desk is.
pub(crate) const MANY_AGENTS: usize = 4_096;

/// Starts loading the cache lines of `value`: the line of its start for a value of a line or
/// less (one that straddles two lines is the rare case, and the other half is one miss), else
/// one line per 64 bytes from the start and the last byte's. The count depends on the type
/// only, so the loop unrolls and has no branch to mispredict.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    let start = value as *const T as *const u8;
    let size = std::mem::size_of::<T>();
    line(start);
    if size > LINE {
        let mut offset = LINE;
        while offset < size {
            line(start.wrapping_add(offset));
            offset += LINE;
        }
        line(start.wrapping_add(size - 1));
    }
}

#[inline(always)]
fn line(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 processor has (it is in the
        // target's baseline); and a prefetch is not a memory access in the program's sense:
        // it cannot fault and reads nothing, whatever the address (here inside a live value,
        // or dangling for a value of size zero, which is as harmless).
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smoke test: prefetching values of one line, several lines and none runs, and leaves
    /// them as they were.
    #[test]
    fn prefetching_changes_nothing() {
        let big = [7u64; 40];
        prefetch(&big);
        prefetch(&big[3]);
        prefetch(&());
        assert_eq!(big, [7u64; 40]);
    }
}
