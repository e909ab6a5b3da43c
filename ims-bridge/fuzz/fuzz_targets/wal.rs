//! The journal's write-ahead log replay on an arbitrary file: headers of
//! either layout, torn and corrupt frames, lengths pointing past a half.
//! It must return the frames or an error, never panic, and never return
//! more bytes than the file holds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	// An empty file is a new log to create (16 MiB of zeros), not a replay.
	if data.is_empty() {
		return;
	}
	let dir = tempfile::tempdir().expect("a directory");
	let path = dir.path().join("journal.wal");
	std::fs::write(&path, data).expect("written");
	if let Ok(frames) = ims_bridge::journal::read_log(&path) {
		let total: usize = frames.iter().map(|f| f.len() + 8).sum();
		assert!(total <= data.len(), "frames beyond the file");
	}
});
