//! Handing freed memory back to the system after a bulk load.
//!
//! A full index load decodes every identity's view a page at a time, and
//! the decoded pages are freed between the compact entries that stay. glibc
//! keeps those freed pages mapped, so resident memory after a load of
//! 100,000 subscribers stood at about three times what the index holds
//! (measured in `docs/index.md`, "Memory"); `malloc_trim` returns them.

/// Returns the heap's free pages to the system (glibc only; elsewhere
/// nothing to do).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code, reason = "malloc_trim has no safe binding")]
pub fn release_freed() {
	// SAFETY: malloc_trim takes no pointer of ours; it walks glibc's own
	// arenas under their locks and only returns pages that are free.
	unsafe {
		libc::malloc_trim(0);
	}
}

/// Returns the heap's free pages to the system (glibc only; elsewhere
/// nothing to do).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
