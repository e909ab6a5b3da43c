use super::*;

fn payloads(n: usize) -> Vec<Vec<u8>> {
	(0..n).map(|i| vec![i as u8; 10 + i]).collect()
}

/// A log of `2 * half` bytes at `path`.
fn open(path: &Path, half: u64) -> (Wal, Vec<Vec<u8>>) {
	Wal::open(path, 2 * half).unwrap()
}

/// Appends frames of `size` bytes until the active half is full.
fn fill(wal: &mut Wal, size: usize) -> usize {
	let frame = vec![vec![9u8; size]];
	let mut n = 0;
	while wal.fits(Wal::frames_len(&frame)) {
		wal.append(&frame).unwrap();
		n += 1;
	}
	n
}

#[test]
fn frames_survive_a_reopen_and_a_reset_voids_them() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("j.wal");
	let (mut wal, found) = open(&path, 32 * 1024);
	assert!(found.is_empty() && wal.is_empty());
	wal.append(&payloads(3)).unwrap();
	wal.append(&payloads(2)).unwrap();
	assert!(!wal.is_empty());
	wal.sync().unwrap();
	drop(wal);
	let (mut wal, found) = open(&path, 32 * 1024);
	assert_eq!(found, [payloads(3), payloads(2)].concat());
	// Appends continue after what was found.
	wal.append(&[b"more".to_vec()]).unwrap();
	drop(wal);
	let (mut wal, found) = open(&path, 32 * 1024);
	assert_eq!(found.len(), 6);
	assert_eq!(found.last().unwrap(), b"more");
	wal.reset().unwrap();
	assert!(wal.is_empty());
	// A shorter new generation over the old frames: only it is read.
	wal.append(&[b"new".to_vec()]).unwrap();
	drop(wal);
	let (_, found) = open(&path, 32 * 1024);
	assert_eq!(found, vec![b"new".to_vec()]);
}

#[test]
fn an_append_is_in_the_file_when_it_returns() {
	// What a crash of the bridge leaves: the file as another process
	// reads it, with the writer neither flushed nor closed.
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("j.wal");
	let (mut wal, _) = open(&path, 32 * 1024);
	wal.append(&payloads(3)).unwrap();
	let (_, found) = open(&path, 32 * 1024);
	assert_eq!(found, payloads(3));
	// A reset is in the file as soon, and voids the frames.
	wal.reset().unwrap();
	wal.append(&[b"next".to_vec()]).unwrap();
	let (_, found) = open(&path, 32 * 1024);
	assert_eq!(found, vec![b"next".to_vec()]);
	// The bytes are where the layout puts them: the halves' headers (the
	// new file's generations 0 and 1, then 2 and 3 after the reset), the
	// frame after the first.
	let bytes = std::fs::read(&path).unwrap();
	assert_eq!(bytes.len(), 64 * 1024);
	assert_eq!(bytes[..20], header(2));
	assert_eq!(bytes[32 * 1024..32 * 1024 + 20], header(3));
	assert_eq!(&bytes[..8], b"IMSJWAL2");
	let at = HEADER as usize;
	assert_eq!(bytes[at..at + 4], 4u32.to_le_bytes());
	assert_eq!(bytes[at + 4..at + 8], frame_crc(2, b"next").to_le_bytes());
	assert_eq!(&bytes[at + 8..at + 12], b"next");
}

#[test]
fn a_torn_or_corrupt_tail_ends_the_log_there() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("j.wal");
	let (mut wal, _) = open(&path, 32 * 1024);
	wal.append(&payloads(4)).unwrap();
	drop(wal);
	// Flip a byte in the third frame's payload.
	let file = OpenOptions::new().read(true).write(true).open(&path).unwrap();
	let third = HEADER + Wal::frames_len(&payloads(2)) + FRAME_HEADER + 1;
	file.write_all_at(&[0xff], third).unwrap();
	drop(file);
	let (mut wal, found) = open(&path, 32 * 1024);
	assert_eq!(found, payloads(2));
	// New appends overwrite the bad tail.
	wal.append(&[b"x".to_vec()]).unwrap();
	// A frame header claiming more than the half holds.
	let file = OpenOptions::new().read(true).write(true).open(&path).unwrap();
	let at = HEADER + Wal::frames_len(&[payloads(2), vec![b"x".to_vec()]].concat());
	file.write_all_at(&u32::MAX.to_le_bytes(), at).unwrap();
	drop(wal);
	let (_, found) = open(&path, 32 * 1024);
	assert_eq!(found.len(), 3);
}

#[test]
fn a_full_half_refuses_and_a_bad_header_is_an_error() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("j.wal");
	// The smallest log: two halves of two pages.
	let (mut wal, _) = Wal::open(&path, HEADER).unwrap();
	assert_eq!(std::fs::metadata(&path).unwrap().len(), 4 * HEADER);
	let big = vec![vec![7u8; HEADER as usize]];
	assert!(!wal.fits(Wal::frames_len(&big)) && !wal.could_fit(Wal::frames_len(&big)));
	assert_eq!(wal.append(&big).unwrap_err().kind(), io::ErrorKind::InvalidData);
	drop(wal);
	// Either half's header.
	for at in [8, 2 * HEADER + 8] {
		let bad = dir.path().join(format!("bad-{at}.wal"));
		std::fs::copy(&path, &bad).unwrap();
		let file = OpenOptions::new().write(true).open(&bad).unwrap();
		file.write_all_at(&[0xffu8; 4], at).unwrap();
		drop(file);
		assert!(Wal::open(&bad, HEADER).unwrap_err().to_string().contains("checksum"));
	}
	std::fs::write(&path, b"something else entirely").unwrap();
	assert!(Wal::open(&path, HEADER).unwrap_err().to_string().contains("magic"));
	std::fs::write(&path, header(0)).unwrap();
	assert!(Wal::open(&path, HEADER).unwrap_err().to_string().contains("too small"));
}

#[test]
fn appends_go_on_in_the_other_half_and_a_replay_reads_both_in_order() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("j.wal");
	let (mut wal, _) = open(&path, 8 * 1024);
	let first = fill(&mut wal, 100);
	// The other half is clean after the reset of a new log.
	let void = wal.switch().unwrap();
	wal.append(&[b"second half".to_vec()]).unwrap();
	// Until the first half's void has run, both are replayed, the older
	// first, and the log will not switch back.
	let (_, found) = open(&path, 8 * 1024);
	assert_eq!(found.len(), first + 1);
	assert_eq!(found.last().unwrap(), b"second half");
	fill(&mut wal, 100);
	assert_eq!(wal.switch().unwrap_err().kind(), io::ErrorKind::InvalidData);
	void.run().unwrap();
	wal.spare_voided();
	let (_, found) = open(&path, 8 * 1024);
	// The second half: its first frame, then as many as the first held.
	assert_eq!(found[0], b"second half");
	assert_eq!(found.len(), first + 1);
	// Back to the first half: its generation is now the newest, so its
	// frames come after the second's.
	let again = wal.switch().unwrap();
	wal.append(&[b"first again".to_vec()]).unwrap();
	let (_, found) = open(&path, 8 * 1024);
	assert_eq!(found.len(), first + 2);
	assert_eq!(
		(&found[0][..], found.last().unwrap().as_slice()),
		(&b"second half"[..], &b"first again"[..])
	);
	again.run().unwrap();
	let (mut reopened, found) = open(&path, 8 * 1024);
	assert_eq!(found, vec![b"first again".to_vec()]);
	// A reopened log goes on after its last frame, the other half clean.
	reopened.append(&[b"after".to_vec()]).unwrap();
	fill(&mut reopened, 100);
	reopened.switch().unwrap();
}

#[test]
fn a_log_of_the_single_layout_is_replayed_then_rewritten_in_halves() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("j.wal");
	// The previous layout: one header, frames to the end of the file.
	let mut bytes = vec![0u8; 16 * 1024];
	bytes[..20].copy_from_slice(&header_with(MAGIC_SINGLE, 7));
	let mut at = HEADER as usize;
	for payload in payloads(3) {
		bytes[at..at + 4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
		bytes[at + 4..at + 8].copy_from_slice(&frame_crc(7, &payload).to_le_bytes());
		bytes[at + 8..at + 8 + payload.len()].copy_from_slice(&payload);
		at += 8 + payload.len();
	}
	std::fs::write(&path, &bytes).unwrap();
	let (mut wal, found) = open(&path, 8 * 1024);
	assert_eq!(found, payloads(3));
	// No append and no switch before the reset.
	assert!(!wal.fits(1));
	assert!(wal.switch().is_err());
	wal.reset().unwrap();
	wal.append(&[b"new".to_vec()]).unwrap();
	let (_, found) = open(&path, 8 * 1024);
	assert_eq!(found, vec![b"new".to_vec()]);
	let bytes = std::fs::read(&path).unwrap();
	assert_eq!((&bytes[..20], &bytes[8 * 1024..8 * 1024 + 20]), (&header(8)[..], &header(9)[..]));
}
