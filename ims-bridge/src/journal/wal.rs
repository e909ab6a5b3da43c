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
//!
//! Appends are copied into a shared mapping of the file rather than
//! written with `pwrite`: the bytes land in the file's page cache at once,
//! so a crash of the bridge loses none of them, as with `pwrite`, but an
//! append makes no system call. On the benchmark VM of the README a
//! 130-byte `pwrite` took 2-4.5 µs in the kernel's buffered write path
//! (`ext4_da_write_begin`/`write_end`, the time stamps), the largest part
//! of a Cx answer's own time. The `fdatasync` writes back the pages dirtied
//! through the mapping like any other (the page cache is the same). This
//! is the one `unsafe` block of the bridge ([`Wal::store`]); see its safety
//! argument.

use memmap2::{MmapOptions, MmapRaw};
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
	/// The whole file, mapped shared and writable; nothing but
	/// [`Wal::store`] touches it, and it never hands out a reference to it.
	map: MmapRaw,
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
			// The new file's directory entry must survive a crash too.
			File::open(directory(path))?.sync_all()?;
			let map = map(&file, capacity)?;
			let wal = Wal { file, map, generation: 0, cursor: HEADER, capacity };
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
		let map = map(&file, length)?;
		let mut wal = Wal { file, map, generation, cursor: HEADER, capacity: length };
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
		let mut at = self.cursor;
		for payload in payloads {
			let length = u32::try_from(payload.len()).map_err(|_| invalid("frame too large"))?;
			let mut head = [0u8; FRAME_HEADER as usize];
			head[..4].copy_from_slice(&length.to_le_bytes());
			head[4..].copy_from_slice(&frame_crc(self.generation, payload).to_le_bytes());
			self.store(at, &head)?;
			self.store(at + FRAME_HEADER, payload)?;
			at += FRAME_HEADER + payload.len() as u64;
		}
		self.cursor = at;
		Ok(())
	}

	/// Voids every frame: a new generation starts at the front of the file.
	pub fn reset(&mut self) -> io::Result<()> {
		let generation = self.generation.wrapping_add(1);
		self.store(0, &header(generation))?;
		self.file.sync_data()?;
		self.generation = generation;
		self.cursor = HEADER;
		Ok(())
	}

	/// Copies `bytes` into the file at offset `at`, through the mapping.
	#[allow(unsafe_code)]
	fn store(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
		let start = usize::try_from(at).map_err(|_| invalid("offset beyond the log"))?;
		let end = start.checked_add(bytes.len()).filter(|end| *end <= self.map.len());
		if end.is_none() {
			return Err(invalid("write beyond the log"));
		}
		// SAFETY: `start..end` lies within the mapping (checked above), which
		// stays mapped as long as `self.map` lives. No Rust reference to the
		// mapped memory exists anywhere (only this raw copy touches it), so
		// the copy aliases nothing; `bytes` is caller memory, never part of
		// the mapping, so the two ranges do not overlap; `&mut self` keeps
		// copies of this process from racing each other. Another process
		// writing the file can only change its bytes, which the frames'
		// checksums catch on reading; one truncating it (or the disk failing
		// to read a page back) would make the copy fault (SIGBUS), a crash,
		// not a memory error: the log is the bridge's own file in its data
		// directory, and its size is fixed.
		unsafe {
			std::ptr::copy_nonoverlapping(
				bytes.as_ptr(),
				self.map.as_mut_ptr().add(start),
				bytes.len(),
			);
		}
		Ok(())
	}
}

/// The shared, writable mapping of the log's first `length` bytes (the
/// whole file).
fn map(file: &File, length: u64) -> io::Result<MmapRaw> {
	let length = usize::try_from(length).map_err(|_| invalid("journal log too large to map"))?;
	MmapOptions::new().len(length).map_raw(file)
}

/// The directory holding `path`: `.` for a bare file name (whose parent is
/// the empty path, which cannot be opened).
pub(super) fn directory(path: &Path) -> &Path {
	match path.parent() {
		Some(dir) if !dir.as_os_str().is_empty() => dir,
		_ => Path::new("."),
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
	fn an_append_is_in_the_file_when_it_returns() {
		// What a crash of the bridge leaves: the file as another process
		// reads it, with the writer neither flushed nor closed.
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("j.wal");
		let (mut wal, _) = Wal::open(&path, 64 * 1024).unwrap();
		wal.append(&payloads(3)).unwrap();
		let (_, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert_eq!(found, payloads(3));
		// A reset is in the file as soon, and voids the frames.
		wal.reset().unwrap();
		wal.append(&[b"next".to_vec()]).unwrap();
		let (_, found) = Wal::open(&path, 64 * 1024).unwrap();
		assert_eq!(found, vec![b"next".to_vec()]);
		// The bytes are where the frame layout puts them.
		let bytes = std::fs::read(&path).unwrap();
		let at = HEADER as usize;
		assert_eq!(bytes[at..at + 4], 4u32.to_le_bytes());
		assert_eq!(bytes[at + 4..at + 8], frame_crc(1, b"next").to_le_bytes());
		assert_eq!(&bytes[at + 8..at + 12], b"next");
		assert_eq!(bytes.len(), 64 * 1024);
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
