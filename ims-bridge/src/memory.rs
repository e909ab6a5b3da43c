//! The bridge's allocator, and handing freed memory back to the system.
//!
//! The binaries allocate with jemalloc ([`allocator!`]). With glibc's
//! malloc, the bridge at a million subscribers held about 470 MB more than
//! it used once a network's registrations had come back: the short-lived
//! buffers of the avalanche (pending registrations, chain reads, vault
//! pages) had been freed between long-lived index entries, and
//! `malloc_trim` gave back 60 MB of it. jemalloc keeps each size class in
//! runs of its own, and its background thread hands freed pages back to
//! the system a few seconds after they are freed. Measured in
//! `docs/index.md`, "Memory".

/// The global allocator of the bridge's binaries.
pub use tikv_jemallocator::Jemalloc as Allocator;

/// Makes jemalloc the binary's global allocator, with its options: a
/// background thread purges freed pages after 5 s, straight back to the
/// system (`muzzy_decay_ms:0`: no lazy `MADV_FREE` stage, whose pages
/// still count as resident until the kernel wants them).
#[macro_export]
macro_rules! allocator {
	() => {
		#[global_allocator]
		static ALLOCATOR: $crate::memory::Allocator = $crate::memory::Allocator;

		/// jemalloc's options, read from this symbol at its first use.
		#[allow(
			unsafe_code,
			non_upper_case_globals,
			reason = "jemalloc reads its options from this exported symbol"
		)]
		#[export_name = "_rjem_malloc_conf"]
		static malloc_conf: &[u8; 60] =
			b"background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0\0";
	};
}

/// Hands jemalloc's freed pages back to the system now, rather than after
/// its decay time: after a full index load and when the pending
/// registrations shrink. Nothing to do where jemalloc is not the global
/// allocator (the library's tests).
#[allow(unsafe_code, reason = "mallctl has no safe binding for a control without a value")]
pub fn release_freed() {
	// MALLCTL_ARENAS_ALL (4096): every arena. The control takes and gives
	// no value; its result only says whether there was anything to purge.
	let name = b"arena.4096.purge\0";
	// SAFETY: the name is NUL-terminated, and a control without a value
	// takes null old and new pointers with lengths of zero.
	unsafe {
		tikv_jemalloc_sys::mallctl(
			name.as_ptr().cast(),
			std::ptr::null_mut(),
			std::ptr::null_mut(),
			std::ptr::null_mut(),
			0,
		);
	}
}
