//! The Wasm's allocator: power-of-two size classes, one free list each,
//! blocks carved from `memory.grow`n pages.
//!
//! Why not std's dlmalloc: it is ~7 KB of code (~4 KB gzip) in a module
//! every page downloads, for a program that is single-threaded, holds a few
//! MB at most (the loaded chunks) and frees most of what it allocates
//! within one check. Here `alloc` and `free` are a list push/pop; the cost
//! is up to 2× padding per block and no coalescing: a freed block is only
//! reused for its own class, which the repeated shapes of per-keystroke
//! checks (same strings, same vectors) fill again and again.
//!
//! Wasm in the browser runs one thread per instance (no atomics in this
//! build), so the state needs no lock.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32::memory_grow;
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 65536;
/// Smallest block: two words of list link would do; 16 keeps every block 16-aligned.
const MIN_SHIFT: u32 = 4;
const CLASSES: usize = 32;

struct State {
    /// Head of the free list of each class (block size `1 << class`), 0 = empty.
    free: [usize; CLASSES],
    /// Next unused byte of the pages grown so far, and their end.
    next: usize,
    end: usize,
}

/// The allocator registered as `#[global_allocator]` in `lib.rs`.
pub struct Classes(UnsafeCell<State>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl Sync for Classes {}

impl Classes {
    /// An empty allocator: no page is grown before the first allocation.
    pub const fn new() -> Self {
        Classes(UnsafeCell::new(State { free: [0; CLASSES], next: 0, end: 0 }))
    }
}

/// The class of a layout, or `None` when no block can hold it.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let c = size.checked_next_power_of_two()?.trailing_zeros() as usize;
    (c < CLASSES).then_some(c)
}

impl State {
    /// A fresh block from the bump region, aligned to `align` (at least 16).
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    fn carve(&mut self, size: usize, align: usize) -> *mut u8 {
        let align = align.max(1 << MIN_SHIFT);
        let mut start = (self.next + align - 1) & !(align - 1);
        if self.next == 0 || start.checked_add(size).is_none_or(|e| e > self.end) {
            // Grow by what the block needs (plus its alignment), at least a page.
            let Some(need) = size.checked_add(align).map(|n| n.div_ceil(PAGE)) else { return null_mut() };
            let old = memory_grow::<0>(need);
            if old == usize::MAX {
                return null_mut();
            }
            let base = old * PAGE;
            // Contiguous with what is left of the previous pages: keep the tail.
            if base != self.end || self.next == 0 {
                self.next = base;
            }
            self.end = base + need * PAGE;
            start = (self.next + align - 1) & !(align - 1);
        }
        self.next = start + size;
        start as *mut u8
    }
}

unsafe impl GlobalAlloc for Classes {
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else { return null_mut() };
        // SAFETY: single thread (see `Sync` above), and no allocation reenters this one.
        let s = unsafe { &mut *self.0.get() };
        // (`get_mut`, not `[c]`: `class` bounds it, and no panic path is compiled in)
        let Some(slot) = s.free.get_mut(c) else { return null_mut() };
        let head = *slot;
        // Free blocks are 16-aligned; a stricter alignment always gets a fresh one.
        if head != 0 && layout.align() <= 1 << MIN_SHIFT {
            // SAFETY: `head` is a freed block of this class, whose first word holds the next link.
            *slot = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        s.carve(1 << c, layout.align())
    }

    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(c) = class(layout) else { return };
        // SAFETY: as in `alloc`; `ptr` is a live block of class `c`, at least 16 bytes, ours again.
        let s = unsafe { &mut *self.0.get() };
        if let Some(slot) = s.free.get_mut(c) {
            unsafe { *(ptr as *mut usize) = *slot };
            *slot = ptr as usize;
        }
    }

    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY (whole body): the `GlobalAlloc::realloc` contract on `ptr` and `layout`.
        let Ok(new) = Layout::from_size_align(new_size, layout.align()) else { return null_mut() };
        if class(new) == class(layout) {
            return ptr; // the block already has room
        }
        let p = unsafe { self.alloc(new) };
        if !p.is_null() {
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        p
    }
}
