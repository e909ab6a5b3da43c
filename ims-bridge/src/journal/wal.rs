//! The journal's write-ahead log: what makes an append durable in one
//! `fdatasync` of a few hundred bytes, instead of a B-tree commit.
//!
//! One file of fixed size, zero-filled when created so that later writes
//! never allocate (an `fdatasync` then flushes data only, no file-system
//! metadata). A 4 KiB header holds the current generation; frames follow:
//!
//! ```text
//! length: u32 LE | crc32: u32 LE | payload (length bytes)
//! crc32 over generation (u64 LE) || length || payload
//! ```
//!
//! Reading stops at the first frame whose length is zero or too long, or
//! whose checksum fails: a torn tail write, or an older generation's
//! frame. [`Wal::reset`] starts a new generation at the front of the file,
//! voiding every frame before it; the journal does so only once what those
//! frames held is durable in its database.
//!
//! [`Wal::append`] only writes; the journal's flusher thread makes the
//! writes durable with [`Wal::sync`] (or an `fdatasync` of [`Wal::file`]),
//! one flush for every append written while the previous one ran.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"IMSJWAL1";
/// The header's room; frames start after it.
const HEADER: u64 = 4096;
const FRAME_HEADER: u64 = 8;
/// The size of the writes that zero-fill a new log.
const PAGE: usize = 4096;

/// The log: its file, current generation and tail. The journal keeps it
/// behind a lock; the flusher thread holds only the file.
#[derive(Debug)]
pub(super) struct Wal {
	file: Arc<File>,
	generation: u64,
	cursor: u64,
	capacity: u64,
}

/// The checksum of a frame: it covers the generation, so an older
/// generation's frame never passes for a current one.
fn frame_crc(generation: u64, payload: &[u8]) -> u32 {
	let mut crc = crc32fast::Hasher::new();
	crc.update(&generation.to_le_bytes());
	crc.update(&(payload.len() as u32).to_le_bytes());
	crc.update(payload);
	crc.finalize()
}

fn header(generation: u64) -> [u8; 20] {
	let mut out = [0u8; 20];
	out[..8].copy_from_slice(MAGIC);
	out[8..16].copy_from_slice(&generation.to_le_bytes());
	let crc = crc32fast::hash(&out[..16]);
	out[16..].copy_from_slice(&crc.to_le_bytes());
	out
}

fn invalid(what: &str) -> io::Error {
	io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Wal {
	/// Opens the log at `path` (creating a zero-filled one of `capacity`
	/// bytes) and returns it with the payloads of its current generation, in
	/// the order they were appended.
	pub fn open(path: &Path, capacity: u64) -> io::Result<(Wal, Vec<Vec<u8>>)> {
		let capacity = capacity.max(HEADER * 2);
		let file = Arc::new(
			OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?,
		);
		let length = file.metadata()?.len();
		if length == 0 {
			// One page at a time: the file's page cache then holds base
			// pages. One large write would cache it in large folios, and
			// every later append of a few hundred bytes would pay for a
			// walk over all the blocks of the folio it lands in (on the
			// benchmark VM of the README a 130-byte `pwrite` took 5.3 µs
			// instead of 2.5, and each one dirtied a whole folio for the
			// flusher).
			let zeros = [0u8; PAGE];
			let mut at = 0;
			while at < capacity {
				let n = (capacity - at).min(zeros.len() as u64);
				file.write_all_at(zeros.get(..n as usize).unwrap_or(&zeros[..]), at)?;
				at += n;
			}
			file.write_all_at(&header(0), 0)?;
			file.sync_all()?;
			if let Some(dir) = path.parent() {
				// The new file's directory entry must survive a crash too.
				File::open(dir)?.sync_all()?;
			}
			let wal = Wal { file, generation: 0, cursor: HEADER, capacity };
			return Ok((wal, Vec::new()));
		}
		let mut head = [0u8; 20];
		file.read_exact_at(&mut head, 0)?;
		if &head[..8] != MAGIC {
			return Err(invalid("not a journal log (bad magic)"));
		}
		if crc32fast::hash(&head[..16]).to_le_bytes() != head[16..] {
			return Err(invalid("journal log header checksum mismatch"));
		}
		let mut generation = [0u8; 8];
		generation.copy_from_slice(&head[8..16]);
		let generation = u64::from_le_bytes(generation);
		let mut wal = Wal { file, generation, cursor: HEADER, capacity: length };
		let payloads = wal.read_frames()?;
		Ok((wal, payloads))
	}

	fn read_frames(&mut self) -> io::Result<Vec<Vec<u8>>> {
		let mut out = Vec::new();
		let mut head = [0u8; FRAME_HEADER as usize];
		while self.cursor + FRAME_HEADER <= self.capacity {
			self.file.read_exact_at(&mut head, self.cursor)?;
			let length = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
			let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
			let end = self.cursor + FRAME_HEADER + length;
			if length == 0 || end > self.capacity {
				break;
			}
			let mut payload = vec![0u8; length as usize];
			self.file.read_exact_at(&mut payload, self.cursor + FRAME_HEADER)?;
			if frame_crc(self.generation, &payload) != crc {
				break;
			}
			out.push(payload);
			self.cursor = end;
		}
		Ok(out)
	}

	/// The bytes `payloads` take as frames.
	pub fn frames_len<'a>(payloads: impl IntoIterator<Item = &'a Vec<u8>>) -> u64 {
		payloads.into_iter().map(|p| FRAME_HEADER + p.len() as u64).sum()
	}

	/// Whether `bytes` more of frames fit before the end of the file.
	pub fn fits(&self, bytes: u64) -> bool {
		self.cursor.saturating_add(bytes) <= self.capacity
	}

	/// Whether no frame was appended since the last reset.
	pub fn is_empty(&self) -> bool {
		self.cursor == HEADER
	}

	/// Whether `bytes` of frames could ever fit (in an empty log).
	pub fn could_fit(&self, bytes: u64) -> bool {
		HEADER.saturating_add(bytes) <= self.capacity
	}

	/// The log file, for the flusher's `fdatasync`.
	pub fn file(&self) -> Arc<File> {
		self.file.clone()
	}

	/// Makes every append so far durable (the journal's flusher does so
	/// through [`Wal::file`]).
	#[cfg(test)]
	pub fn sync(&self) -> io::Result<()> {
		self.file.sync_data()
	}

	/// Writes `payloads` as frames after the last ones; durable after the
	/// next [`Wal::sync`]. The caller checks [`Wal::fits`] first.
	pub fn append(&mut self, payloads: &[Vec<u8>]) -> io::Result<()> {
		let len = Self::frames_len(payloads);
		if !self.fits(len) {
			return Err(invalid("journal log full"));
		}
		let mut buffer = Vec::with_capacity(len as usize);
		for payload in payloads {
			let length = u32::try_from(payload.len()).map_err(|_| invalid("frame too large"))?;
			buffer.extend_from_slice(&length.to_le_bytes());
			buffer.extend_from_slice(&frame_crc(self.generation, payload).to_le_bytes());
			buffer.extend_from_slice(payload);
		}
		self.file.write_all_at(&buffer, self.cursor)?;
		self.cursor += len;
		Ok(())
	}

	/// Voids every frame: a new generation starts at the front of the file.
	pub fn reset(&mut self) -> io::Result<()> {
		let generation = self.generation.wrapping_add(1);
		self.file.write_all_at(&header(generation), 0)?;
		self.file.sync_data()?;
		self.generation = generation;
		self.cursor = HEADER;
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn payloads(n: usize) -> Vec<Vec<u8>> {
		(0..n).map(|i| vec![i as u8; 10 + i]).collect()
	}

	#[test]
	fn frames_survive_a_reopen_and_a_reset_voids_them() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("j.wal");
		let (mut wal, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert!(found.is_empty() && wal.is_empty());
		wal.append(&payloads(3)).unwrap();
		wal.append(&payloads(2)).unwrap();
		wal.sync().unwrap();
		drop(wal);
		let (mut wal, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert_eq!(found, [payloads(3), payloads(2)].concat());
		// Appends continue after what was found.
		wal.append(&[b"more".to_vec()]).unwrap();
		drop(wal);
		let (mut wal, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert_eq!(found.last().unwrap(), b"more");
		wal.reset().unwrap();
		// A shorter new generation over the old frames: only it is read.
		wal.append(&[b"new".to_vec()]).unwrap();
		drop(wal);
		let (_, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert_eq!(found, vec![b"new".to_vec()]);
	}

	#[test]
	fn a_torn_or_corrupt_tail_ends_the_log_there() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("j.wal");
		let (mut wal, _) = Wal::open(&path, 64 * 1024).unwrap();
		wal.append(&payloads(4)).unwrap();
		drop(wal);
		// Flip a byte in the third frame's payload.
		let file = OpenOptions::new().read(true).write(true).open(&path).unwrap();
		let third = HEADER + Wal::frames_len(&payloads(2)) + FRAME_HEADER + 1;
		file.write_all_at(&[0xff], third).unwrap();
		// A frame header claiming more than the file holds.
		drop(file);
		let (mut wal, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert_eq!(found, payloads(2));
		// New appends overwrite the bad tail.
		wal.append(&[b"x".to_vec()]).unwrap();
		let file = OpenOptions::new().read(true).write(true).open(&path).unwrap();
		let at = HEADER + Wal::frames_len(&[payloads(2), vec![b"x".to_vec()]].concat());
		file.write_all_at(&u32::MAX.to_le_bytes(), at).unwrap();
		drop(wal);
		let (_, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert_eq!(found.len(), 3);
	}

	#[test]
	fn a_full_log_refuses_and_a_bad_header_is_an_error() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("j.wal");
		let (mut wal, _) = Wal::open(&path, 2 * HEADER).unwrap();
		let big = vec![vec![7u8; HEADER as usize]];
		assert!(!wal.fits(Wal::frames_len(&big)));
		assert_eq!(wal.append(&big).unwrap_err().kind(), io::ErrorKind::InvalidData);
		drop(wal);
		let file = OpenOptions::new().write(true).open(&path).unwrap();
		file.write_all_at(&[0xffu8; 4], 8).unwrap();
		drop(file);
		assert!(Wal::open(&path, 2 * HEADER).unwrap_err().to_string().contains("checksum"));
		std::fs::write(&path, b"something else entirely").unwrap();
		assert!(Wal::open(&path, 2 * HEADER).unwrap_err().to_string().contains("magic"));
	}
}
