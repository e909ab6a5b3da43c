//! The journal's write-ahead log: what makes an append durable in one
//! `fdatasync` of a few hundred bytes, instead of a B-tree commit.
//!
//! One file of fixed size, zero-filled when created so that later writes
//! never allocate (an `fdatasync` then flushes data only, no file-system
//! metadata), in two halves. Each half starts with a 4 KiB header holding
//! its generation; its frames follow:
//!
//! ```text
//! header: magic "IMSJWAL2" | generation: u64 LE | crc32 of both: u32 LE
//! frame:  length: u32 LE | crc32: u32 LE | payload (length bytes)
//!         crc32 over generation (u64 LE) || length || payload
//! ```
//!
//! Reading a half stops at the first frame whose length is zero or too
//! long, or whose checksum fails: a torn tail write, or an older
//! generation's frame. Appends fill one half; when it is full they go on in
//! the other ([`Wal::switch`]) while the applier thread makes what the full
//! one holds durable in the journal's database and then voids it
//! ([`Void`]): a new generation in its header, which no frame in it
//! matches. A full log thus never makes an append wait for the database,
//! unless a whole half fills while the other is being voided
//! (`docs/journal.md`, "Two halves"). A replay reads both halves, the older
//! generation first.
//!
//! [`Wal::append`] only writes; the journal's flusher thread makes the
//! writes durable with an `fdatasync` of [`Wal::file`], one flush for every
//! append written while the previous one ran.
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

#[cfg(test)]
mod tests;

const MAGIC: &[u8; 8] = b"IMSJWAL2";
/// The magic of the previous layout, one log over the whole file: such a
/// log is replayed, and the reset after the replay rewrites it in halves.
const MAGIC_SINGLE: &[u8; 8] = b"IMSJWAL1";
/// A header's room; a half's frames start after it.
const HEADER: u64 = 4096;
const FRAME_HEADER: u64 = 8;
/// The size of the writes that zero-fill a new log, and the unit of a
/// half's size.
const PAGE: u64 = 4096;

/// The log: its file, the halves' generations and the tail. The journal
/// keeps it behind a lock; the flusher thread holds only the file, and the
/// applier thread a [`Void`].
#[derive(Debug)]
pub(super) struct Wal {
	file: Arc<File>,
	/// The whole file, mapped shared and writable; nothing but
	/// [`Wal::store`] touches it, and it never hands out a reference to it.
	map: MmapRaw,
	/// Each half's generation (first, second): the one its header holds,
	/// or will hold once the [`Void`] handed out for it has run.
	generations: (u64, u64),
	/// The half appends go to.
	active: Half,
	/// Where the next frame goes (an offset in the file).
	cursor: u64,
	/// The size of each half, its header included.
	half_len: u64,
	/// Whether the other half holds no frame of its generation, so that
	/// appends may move there.
	spare_clean: bool,
	/// Whether a frame was appended since the last reset.
	written: bool,
}

/// One of the log's two halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Half {
	First,
	Second,
}

impl Half {
	fn other(self) -> Half {
		match self {
			Half::First => Half::Second,
			Half::Second => Half::First,
		}
	}
}

/// The voiding of the half the appends have just left: a new generation
/// in its header, durable. Run only once everything its frames hold is
/// durable elsewhere.
#[derive(Debug)]
pub(super) struct Void {
	file: Arc<File>,
	offset: u64,
	generation: u64,
}

impl Void {
	/// Writes the half's new header and makes it durable.
	pub fn run(&self) -> io::Result<()> {
		// A `pwrite`, not the mapping: the journal's lock on the mapping is
		// not held here. The header is a page of its own, which no append
		// touches, and the page cache is the same.
		self.file.write_all_at(&header(self.generation), self.offset)?;
		self.file.sync_data()
	}
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

fn header_with(magic: &[u8; 8], generation: u64) -> [u8; 20] {
	let mut out = [0u8; 20];
	out[..8].copy_from_slice(magic);
	out[8..16].copy_from_slice(&generation.to_le_bytes());
	let crc = crc32fast::hash(&out[..16]);
	out[16..].copy_from_slice(&crc.to_le_bytes());
	out
}

fn header(generation: u64) -> [u8; 20] {
	header_with(MAGIC, generation)
}

/// The magic and generation of the header at `offset`.
fn read_header(file: &File, offset: u64) -> io::Result<([u8; 8], u64)> {
	let mut head = [0u8; 20];
	file.read_exact_at(&mut head, offset)?;
	let mut magic = [0u8; 8];
	magic.copy_from_slice(&head[..8]);
	if &magic != MAGIC && &magic != MAGIC_SINGLE {
		return Err(invalid("not a journal log (bad magic)"));
	}
	if crc32fast::hash(&head[..16]).to_le_bytes() != head[16..] {
		return Err(invalid("journal log header checksum mismatch"));
	}
	let mut generation = [0u8; 8];
	generation.copy_from_slice(&head[8..16]);
	Ok((magic, u64::from_le_bytes(generation)))
}

/// The payloads of the frames of `generation` from `start` on, up to
/// `end`, and where they stop.
fn read_frames(
	file: &File,
	generation: u64,
	start: u64,
	end: u64,
) -> io::Result<(Vec<Vec<u8>>, u64)> {
	let mut out = Vec::new();
	let mut cursor = start;
	let mut head = [0u8; FRAME_HEADER as usize];
	while cursor + FRAME_HEADER <= end {
		file.read_exact_at(&mut head, cursor)?;
		let length = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
		let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
		let next = cursor + FRAME_HEADER + length;
		if length == 0 || next > end {
			break;
		}
		let mut payload = vec![0u8; length as usize];
		file.read_exact_at(&mut payload, cursor + FRAME_HEADER)?;
		if frame_crc(generation, &payload) != crc {
			break;
		}
		out.push(payload);
		cursor = next;
	}
	Ok((out, cursor))
}

fn invalid(what: &str) -> io::Error {
	io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Wal {
	/// Opens the log at `path` (creating a zero-filled one of `capacity`
	/// bytes, two halves of at least two pages each) and returns it with
	/// the payloads its halves hold, the older generation's first, each in
	/// the order they were appended. Appends go on after the last frame; a
	/// log of the previous single layout takes none before [`Wal::reset`],
	/// and one with frames in both halves switches only after it.
	pub fn open(path: &Path, capacity: u64) -> io::Result<(Wal, Vec<Vec<u8>>)> {
		// An empty file is one an older bridge began to create.
		if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
			Wal::create(path, capacity)?;
		}
		let file = Arc::new(OpenOptions::new().read(true).write(true).open(path)?);
		let length = file.metadata()?.len();
		let (magic, first) = read_header(&file, 0)?;
		let half_len = length / 2 / PAGE * PAGE;
		if half_len < 2 * HEADER {
			return Err(invalid("journal log too small for two halves"));
		}
		let map = map(&file, 2 * half_len)?;
		let mut wal = Wal {
			file,
			map,
			generations: (first, first),
			active: Half::First,
			cursor: half_len,
			half_len,
			spare_clean: false,
			written: true,
		};
		if &magic == MAGIC_SINGLE {
			// The whole file is one log; the cursor at the end of the first
			// half refuses appends until the reset.
			let (frames, _) = read_frames(&wal.file, first, HEADER, length)?;
			return Ok((wal, frames));
		}
		let (magic, second) = read_header(&wal.file, half_len)?;
		if &magic != MAGIC {
			return Err(invalid("journal log halves of different layouts"));
		}
		wal.generations = (first, second);
		let older = if first <= second { Half::First } else { Half::Second };
		let newer = older.other();
		let (mut frames, older_end) = wal.read_half(older)?;
		let (newer_frames, newer_end) = wal.read_half(newer)?;
		// Appends go on after the last frame. With frames in both halves,
		// neither is clean until a reset.
		(wal.active, wal.cursor, wal.spare_clean) = if newer_frames.is_empty() {
			(older, older_end, true)
		} else {
			(newer, newer_end, frames.is_empty())
		};
		wal.written = !frames.is_empty() || !newer_frames.is_empty();
		frames.extend(newer_frames);
		Ok((wal, frames))
	}

	/// Creates the log at `path` whole or not at all: zero-filled (its
	/// space taken up front, so that no later write needs a block) with
	/// its halves' headers, in a temporary file renamed into place once
	/// durable. A disk that fills meanwhile leaves no half-made log.
	fn create(path: &Path, capacity: u64) -> io::Result<()> {
		let half_len = (capacity / 2 / PAGE * PAGE).max(2 * HEADER);
		let temporary = path.with_extension("wal.new");
		let made = Wal::fill(&temporary, half_len).and_then(|()| {
			std::fs::rename(&temporary, path)?;
			// The new name must survive a crash too.
			File::open(directory(path))?.sync_all()
		});
		if made.is_err() {
			let _ = std::fs::remove_file(&temporary);
		}
		made
	}

	/// Writes a new log of two halves of `half_len` bytes to `path`.
	fn fill(path: &Path, half_len: u64) -> io::Result<()> {
		let file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
		// One page at a time: the file's page cache then holds base pages.
		// One large write would cache it in large folios, and every later
		// append of a few hundred bytes would pay for a walk over all the
		// blocks of the folio it lands in (on the benchmark VM of the
		// README a 130-byte `pwrite` took 5.3 µs instead of 2.5, and each
		// one dirtied a whole folio for the flusher).
		let zeros = [0u8; PAGE as usize];
		let mut at = 0;
		while at < 2 * half_len {
			file.write_all_at(&zeros, at)?;
			at += PAGE;
		}
		file.write_all_at(&header(1), half_len)?;
		file.write_all_at(&header(0), 0)?;
		file.sync_all()
	}

	/// The frames of `half` and where they stop.
	fn read_half(&self, half: Half) -> io::Result<(Vec<Vec<u8>>, u64)> {
		let start = self.start(half);
		read_frames(&self.file, self.generation(half), start + HEADER, start + self.half_len)
	}

	/// Where `half` starts in the file.
	fn start(&self, half: Half) -> u64 {
		match half {
			Half::First => 0,
			Half::Second => self.half_len,
		}
	}

	fn generation(&self, half: Half) -> u64 {
		match half {
			Half::First => self.generations.0,
			Half::Second => self.generations.1,
		}
	}

	fn set_generation(&mut self, half: Half, generation: u64) {
		match half {
			Half::First => self.generations.0 = generation,
			Half::Second => self.generations.1 = generation,
		}
	}

	/// The bytes `payloads` take as frames.
	pub fn frames_len<'a>(payloads: impl IntoIterator<Item = &'a Vec<u8>>) -> u64 {
		payloads.into_iter().map(|p| FRAME_HEADER + p.len() as u64).sum()
	}

	/// Whether `bytes` more of frames fit before the end of the half.
	pub fn fits(&self, bytes: u64) -> bool {
		self.cursor.saturating_add(bytes) <= self.start(self.active) + self.half_len
	}

	/// Whether no frame was appended since the last reset.
	pub fn is_empty(&self) -> bool {
		!self.written
	}

	/// Whether `bytes` of frames could ever fit (in an empty half).
	pub fn could_fit(&self, bytes: u64) -> bool {
		HEADER.saturating_add(bytes) <= self.half_len
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
	/// next `fdatasync`. The caller checks [`Wal::fits`] first.
	pub fn append(&mut self, payloads: &[Vec<u8>]) -> io::Result<()> {
		let len = Self::frames_len(payloads);
		if !self.fits(len) {
			return Err(invalid("journal log full"));
		}
		let generation = self.generation(self.active);
		let mut at = self.cursor;
		for payload in payloads {
			let length = u32::try_from(payload.len()).map_err(|_| invalid("frame too large"))?;
			let mut head = [0u8; FRAME_HEADER as usize];
			head[..4].copy_from_slice(&length.to_le_bytes());
			head[4..].copy_from_slice(&frame_crc(generation, payload).to_le_bytes());
			self.store(at, &head)?;
			self.store(at + FRAME_HEADER, payload)?;
			at += FRAME_HEADER + payload.len() as u64;
		}
		self.cursor = at;
		self.written |= !payloads.is_empty();
		Ok(())
	}

	/// Moves the appends to the other half, which must be clean (after a
	/// reset, or [`Wal::spare_voided`]), and returns the voiding of the
	/// half they leave, to run once what it holds is durable elsewhere.
	pub fn switch(&mut self) -> io::Result<Void> {
		if !self.spare_clean {
			return Err(invalid("the other half of the journal log is not voided yet"));
		}
		let full = self.active;
		self.active = full.other();
		self.cursor = self.start(self.active) + HEADER;
		self.spare_clean = false;
		// Newer than the half appends now go to, which is itself newer than
		// the one they left: a replay reads the halves in order.
		let generation = self.generation(self.active).wrapping_add(1);
		self.set_generation(full, generation);
		Ok(Void { file: self.file.clone(), offset: self.start(full), generation })
	}

	/// Records that the [`Void`] of the last switch has run: the other half
	/// may take appends again.
	pub fn spare_voided(&mut self) {
		self.spare_clean = true;
	}

	/// Voids every frame: a new generation in both halves, appends from the
	/// front of the first. A log of the single layout is rewritten in
	/// halves (its first header last, so that it stays one until the end).
	pub fn reset(&mut self) -> io::Result<()> {
		let top = self.generations.0.max(self.generations.1);
		let generations = (top.wrapping_add(1), top.wrapping_add(2));
		self.store(self.half_len, &header(generations.1))?;
		self.store(0, &header(generations.0))?;
		self.file.sync_data()?;
		self.generations = generations;
		self.active = Half::First;
		self.cursor = HEADER;
		self.spare_clean = true;
		self.written = false;
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
		// copies of this process from racing each other (a [`Void`] writes a
		// header page with `pwrite`, never while a copy may touch that
		// page). Another process writing the file can only change its
		// bytes, which the frames' checksums catch on reading; one
		// truncating it (or the disk failing to read a page back) would
		// make the copy fault (SIGBUS), a crash, not a memory error: the log
		// is the bridge's own file in its data directory, and its size is
		// fixed.
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

/// The shared, writable mapping of the log's first `length` bytes.
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
