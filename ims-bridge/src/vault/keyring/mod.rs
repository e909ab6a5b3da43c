//! The keyring: each subscription's data key, wrapped by a key derived
//! from the vault key, in a file of fixed slots beside the vault
//! (`docs/vault.md`, "Erasure"). Erasure overwrites the slot with zeros, so
//! the record a copy of the vault file still holds no longer opens: its
//! key existed in this file alone.
//!
//! - `header`: the file's header and its two copies.
//! - `rotate`: moving every slot to a new vault key while Cx is served.

mod header;
mod rotate;

use super::key::{VaultKey, INDEX_LABEL};
use super::seal::FileSeal;
use super::VaultError;
use header::{Header, HEADER_SIZE};
use rand::RngCore;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard};
use zeroize::Zeroizing;

/// The label of the key that wraps data keys.
const WRAP_LABEL: &[u8] = b"ims-bridge keyring wrap v1";
/// What the header's check seals.
const CHECK_PLAINTEXT: &[u8] = b"ims-bridge keyring v1";
/// Where the slots begin: after the two copies of the header.
const SLOTS_AT: u64 = 2 * HEADER_SIZE as u64;
/// One slot: state, generation, handle and the sealed data key.
pub(super) const SLOT_SIZE: usize = 128;
/// A data key sealed by [`FileSeal`]: version, nonce, key and tag.
const SEALED_KEY: usize = 1 + 24 + 32 + 16;
/// Slot states. A reserved slot's record may not have been committed; the
/// vault settles it at open.
const FREE: u8 = 0;
const RESERVED: u8 = 1;
const LIVE: u8 = 2;
/// Slots read (and re-wrapped) at once when the file is scanned; few in
/// tests, so that they cross chunks.
#[cfg(not(test))]
const SCAN_SLOTS: u32 = 8192;
#[cfg(test)]
const SCAN_SLOTS: u32 = 16;

/// A data key and the slot that holds it wrapped.
pub(super) type DataKey = (u32, Zeroizing<[u8; 32]>);

/// A wrapping key and its cipher.
struct Wrap {
	key: Zeroizing<[u8; 32]>,
	seal: FileSeal,
}

impl Wrap {
	fn new(key: Zeroizing<[u8; 32]>) -> Wrap {
		let seal = FileSeal::new(&key);
		Wrap { key, seal }
	}

	/// The wrapping key sealed in a header field.
	fn from_field(seal: &FileSeal, aad: &[u8], sealed: &[u8]) -> Result<Wrap, VaultError> {
		let key = seal.open(b"keyring", aad, sealed)?;
		let key = <[u8; 32]>::try_from(key.as_slice()).map_err(|_| VaultError::Corrupt)?;
		Ok(Wrap::new(Zeroizing::new(key)))
	}
}

/// The wrapping keys: the current generation's, and during a rotation the
/// next one's.
struct Wrapping {
	generation: u32,
	current: Wrap,
	next: Option<Wrap>,
}

impl Wrapping {
	/// The key of slots of `generation`.
	fn of(&self, generation: u32) -> Option<&FileSeal> {
		if generation == self.generation {
			return Some(&self.current.seal);
		}
		let next = self.generation.checked_add(1)?;
		self.next.as_ref().filter(|_| generation == next).map(|w| &w.seal)
	}

	/// The key new slots are sealed under, and its generation.
	fn newest(&self) -> (u32, &FileSeal) {
		match (&self.next, self.generation.checked_add(1)) {
			(Some(next), Some(generation)) => (generation, &next.seal),
			_ => (self.generation, &self.current.seal),
		}
	}
}

/// The slots' bookkeeping, behind the lock every writer takes.
struct Slots {
	header: Header,
	/// Slots in the file.
	count: u32,
	free: Vec<u32>,
}

/// The keyring.
pub(super) struct Keyring {
	path: PathBuf,
	file: File,
	index_key: Zeroizing<[u8; 32]>,
	wrapping: RwLock<Wrapping>,
	slots: Mutex<Slots>,
}

/// A keyring as opened, with the reserved slots the vault must settle.
pub(super) struct Opened {
	pub keyring: Keyring,
	pub reserved: Vec<(u32, [u8; 32])>,
}

/// The additional data a slot's key is sealed with.
fn slot_aad(handle: &[u8; 32], generation: u32) -> Vec<u8> {
	[handle.as_slice(), &generation.to_le_bytes()].concat()
}

/// A header field's additional data.
fn field_aad(field: &str, generation: u32) -> Vec<u8> {
	[field.as_bytes(), &generation.to_le_bytes()].concat()
}

impl Keyring {
	/// The keyring's file, given the vault's: beside it, `.keys`.
	pub(super) fn path_for(vault: &Path) -> PathBuf {
		vault.with_extension("keys")
	}

	/// Makes a new keyring at `path` for the vault `id`, with the index key
	/// derived from `key` (so a vault made before keyrings keeps its
	/// look-up keys). The file appears whole or not at all.
	pub(super) fn create(path: &Path, key: &VaultKey, id: [u8; 16]) -> Result<(), VaultError> {
		let io = |source| VaultError::Keyring { path: path.to_path_buf(), source };
		let wrap = FileSeal::new(&key.derive(WRAP_LABEL));
		let header = Header {
			seq: 1,
			id,
			generation: 0,
			check: wrap.seal(b"keyring", &field_aad("check", 0), CHECK_PLAINTEXT)?,
			index_key: wrap.seal(b"keyring", &field_aad("index", 0), &*key.derive(INDEX_LABEL))?,
			rotation: None,
		};
		let block = header.to_block().ok_or(VaultError::KeyringCorrupt { path: path.into() })?;
		let temporary = path.with_extension("keys.new");
		let file = File::create(&temporary).map_err(io)?;
		file.write_all_at(&block, 0).map_err(io)?;
		file.write_all_at(&block, HEADER_SIZE as u64).map_err(io)?;
		file.sync_all().map_err(io)?;
		std::fs::rename(&temporary, path).map_err(io)?;
		if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
			File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
		}
		Ok(())
	}

	/// Opens the keyring of the vault `id` with `key`, the vault key in use
	/// or, during a rotation, the new one.
	pub(super) fn open(path: &Path, key: &VaultKey, id: [u8; 16]) -> Result<Opened, VaultError> {
		let io = |source| VaultError::Keyring { path: path.to_path_buf(), source };
		let corrupt = || VaultError::KeyringCorrupt { path: path.to_path_buf() };
		let file = File::options().read(true).write(true).open(path).map_err(io)?;
		let header = read_header(&file).map_err(io)?.ok_or_else(corrupt)?;
		if header.id != id {
			let why = "it belongs to another vault";
			return Err(VaultError::KeyringMismatch { path: path.into(), why });
		}
		let wrapping = unlock(&header, key)?;
		let index_key = wrapping.current.seal.open(
			b"keyring",
			&field_aad("index", header.generation),
			&header.index_key,
		)?;
		let index_key =
			Zeroizing::new(<[u8; 32]>::try_from(index_key.as_slice()).map_err(|_| corrupt())?);
		let len = file.metadata().map_err(io)?.len();
		let count = u32::try_from(len.saturating_sub(SLOTS_AT) / SLOT_SIZE as u64)
			.map_err(|_| corrupt())?;
		// A slot cut short by a crash while the file grew held nothing
		// committed: its record's transaction waits for the slot's sync.
		file.set_len(SLOTS_AT + u64::from(count) * SLOT_SIZE as u64).map_err(io)?;
		let keyring = Keyring {
			path: path.to_path_buf(),
			file,
			index_key,
			wrapping: RwLock::new(wrapping),
			slots: Mutex::new(Slots { header, count, free: Vec::new() }),
		};
		let reserved = keyring.scan()?;
		Ok(Opened { keyring, reserved })
	}

	/// Reads every slot: notes the free ones, returns the reserved ones.
	fn scan(&self) -> Result<Vec<(u32, [u8; 32])>, VaultError> {
		let mut slots = self.lock();
		let mut reserved = Vec::new();
		let mut free = Vec::new();
		let mut start = 0;
		while start < slots.count {
			let n = SCAN_SLOTS.min(slots.count - start);
			let chunk = self.read_slots(start, n)?;
			for (i, slot) in (start..).zip(chunk.chunks_exact(SLOT_SIZE)) {
				match slot.first() {
					Some(&FREE) => free.push(i),
					Some(&RESERVED) => reserved.push((i, slot_handle(slot))),
					Some(&LIVE) => {},
					_ => return Err(VaultError::KeyringCorrupt { path: self.path.clone() }),
				}
			}
			start += n;
		}
		// Lowest first out, so that the file stays dense.
		free.reverse();
		slots.free = free;
		Ok(reserved)
	}

	/// The index key.
	pub(super) fn index_key(&self) -> &[u8; 32] {
		&self.index_key
	}

	/// The data key in `slot`, which must belong to `handle`.
	/// [`VaultError::KeyDestroyed`] when the slot was erased (or reused).
	pub(super) fn data_key(
		&self,
		slot: u32,
		handle: &[u8; 32],
	) -> Result<Zeroizing<[u8; 32]>, VaultError> {
		match self.read_slots(slot, 1).and_then(|s| self.unwrap(&s, handle)) {
			Ok(key) => Ok(key),
			// A read that raced a writer of the slot (a rotation) may have
			// seen half of each: read it again while no writer can run.
			Err(_) => {
				let _slots = self.lock();
				self.unwrap(&self.read_slots(slot, 1)?, handle)
			},
		}
	}

	/// The data key in a slot's bytes.
	fn unwrap(&self, slot: &[u8], handle: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, VaultError> {
		let state = slot.first().copied();
		if !matches!(state, Some(RESERVED | LIVE)) || slot_handle(slot) != *handle {
			return Err(VaultError::KeyDestroyed);
		}
		let generation = slot_generation(slot);
		let wrapping = self.wrapping();
		let seal = wrapping.of(generation).ok_or(VaultError::Corrupt)?;
		let sealed = slot.get(37..37 + SEALED_KEY).ok_or(VaultError::Corrupt)?;
		let key = seal.open(b"slot", &slot_aad(handle, generation), sealed)?;
		<[u8; 32]>::try_from(key.as_slice()).map(Zeroizing::new).map_err(|_| VaultError::Corrupt)
	}

	/// New data keys for `handles`, each in a slot of its own marked
	/// reserved, durable when this returns. The caller commits the records
	/// that name them, then [`Keyring::confirm`]s them (or releases them if
	/// the commit fails).
	pub(super) fn allocate(&self, handles: &[[u8; 32]]) -> Result<Vec<DataKey>, VaultError> {
		let mut slots = self.lock();
		let wrapping = self.wrapping();
		let (generation, seal) = wrapping.newest();
		let mut keys = Vec::with_capacity(handles.len());
		for handle in handles {
			let mut key = Zeroizing::new([0u8; 32]);
			rand::rngs::OsRng.fill_bytes(key.as_mut_slice());
			let sealed = seal.seal(b"slot", &slot_aad(handle, generation), key.as_slice())?;
			let index = match slots.free.pop() {
				Some(index) => index,
				None => {
					let index = slots.count;
					slots.count = index.checked_add(1).ok_or(VaultError::KeyringFull)?;
					index
				},
			};
			self.write_slot(index, &encode_slot(RESERVED, generation, handle, &sealed)?)?;
			keys.push((index, key));
		}
		drop(wrapping);
		self.sync()?;
		drop(slots);
		Ok(keys)
	}

	/// Marks reserved slots live once their records are committed. Not
	/// synced: a mark a crash loses leaves the slot reserved, and the
	/// vault finds its record at the next open.
	pub(super) fn confirm(&self, indexes: impl IntoIterator<Item = u32>) -> Result<(), VaultError> {
		let _slots = self.lock();
		for index in indexes {
			self.file.write_all_at(&[LIVE], slot_offset(index)).map_err(|e| self.io(e))?;
		}
		Ok(())
	}

	/// Destroys the data keys of these slots, each only if it still
	/// belongs to its handle: the slot is overwritten with zeros and synced
	/// before this returns.
	pub(super) fn destroy(&self, slots_of: &[(u32, [u8; 32])]) -> Result<(), VaultError> {
		let mut slots = self.lock();
		for (index, handle) in slots_of {
			if *index >= slots.count {
				continue;
			}
			let slot = self.read_slots(*index, 1)?;
			if slot.first() != Some(&FREE) && slot_handle(&slot) == *handle {
				self.write_slot(*index, &[0u8; SLOT_SIZE])?;
				slots.free.push(*index);
			}
		}
		self.sync()
	}

	/// Slots in use and slots in the file.
	pub(super) fn usage(&self) -> (u32, u32) {
		let slots = self.lock();
		(slots.count.saturating_sub(slots.free.len() as u32), slots.count)
	}

	/// A slot's bytes as in the file.
	#[cfg(test)]
	pub(super) fn slot_bytes(&self, slot: u32) -> Vec<u8> {
		self.read_slots(slot, 1).unwrap_or_default()
	}

	/// `n` slots from `first`, read.
	fn read_slots(&self, first: u32, n: u32) -> Result<Vec<u8>, VaultError> {
		let mut bytes = vec![0u8; n as usize * SLOT_SIZE];
		self.file.read_exact_at(&mut bytes, slot_offset(first)).map_err(|e| self.io(e))?;
		Ok(bytes)
	}

	fn write_slot(&self, index: u32, slot: &[u8]) -> Result<(), VaultError> {
		self.file.write_all_at(slot, slot_offset(index)).map_err(|e| self.io(e))
	}

	fn sync(&self) -> Result<(), VaultError> {
		self.file.sync_data().map_err(|e| self.io(e))
	}

	fn io(&self, source: std::io::Error) -> VaultError {
		VaultError::Keyring { path: self.path.clone(), source }
	}

	fn lock(&self) -> MutexGuard<'_, Slots> {
		self.slots.lock().unwrap_or_else(|p| p.into_inner())
	}

	fn wrapping(&self) -> RwLockReadGuard<'_, Wrapping> {
		self.wrapping.read().unwrap_or_else(|p| p.into_inner())
	}
}

/// The header with the higher sequence number of the two intact ones.
fn read_header(file: &File) -> std::io::Result<Option<Header>> {
	let mut blocks = [0u8; 2 * HEADER_SIZE];
	file.read_exact_at(&mut blocks, 0)?;
	let (a, b) = blocks.split_at(HEADER_SIZE);
	Ok(match (Header::from_block(a), Header::from_block(b)) {
		(Some(a), Some(b)) => Some(if a.seq >= b.seq { a } else { b }),
		(a, b) => a.or(b),
	})
}

/// Whether each copy of the header in a keyring file's bytes records a
/// rotation (damaged copies count as not).
#[cfg(test)]
pub(super) fn rotating_copies(file: &[u8]) -> [bool; 2] {
	let copy = |at: usize| {
		let header = file.get(at..at + HEADER_SIZE).and_then(Header::from_block);
		header.is_some_and(|h| h.rotation.is_some())
	};
	[copy(0), copy(HEADER_SIZE)]
}

/// Writes `header` over the older copy and syncs it.
fn write_header(file: &File, header: &Header) -> std::io::Result<()> {
	let block = header.to_block().ok_or(std::io::ErrorKind::InvalidData)?;
	file.write_all_at(&block, (header.seq % 2) * HEADER_SIZE as u64)?;
	file.sync_data()
}

/// The wrapping keys the vault key `key` opens: the current one if it is
/// the key in use, or during a rotation the old one under the new.
fn unlock(header: &Header, key: &VaultKey) -> Result<Wrapping, VaultError> {
	let given = Wrap::new(key.derive(WRAP_LABEL));
	let generation = header.generation;
	let next_generation = generation.checked_add(1).ok_or(VaultError::Corrupt)?;
	let rotation = header.rotation.as_ref();
	if opens_check(&given.seal, generation, &header.check) {
		let next = rotation
			.map(|r| {
				Wrap::from_field(&given.seal, &field_aad("next", generation), &r.next_under_current)
			})
			.transpose()?;
		return Ok(Wrapping { generation, current: given, next });
	}
	let Some(r) =
		rotation.filter(|r| opens_check(&given.seal, next_generation, &r.check_under_next))
	else {
		return Err(VaultError::WrongKey);
	};
	let aad = field_aad("previous", next_generation);
	let current = Wrap::from_field(&given.seal, &aad, &r.current_under_next)?;
	Ok(Wrapping { generation, current, next: Some(given) })
}

/// Whether `seal` opens a header's check of `generation`.
fn opens_check(seal: &FileSeal, generation: u32, check: &[u8]) -> bool {
	let plain = seal.open(b"keyring", &field_aad("check", generation), check);
	plain.is_ok_and(|p| p.as_slice() == CHECK_PLAINTEXT)
}

fn slot_offset(index: u32) -> u64 {
	SLOTS_AT + u64::from(index) * SLOT_SIZE as u64
}

fn slot_handle(slot: &[u8]) -> [u8; 32] {
	slot.get(5..37).and_then(|h| h.try_into().ok()).unwrap_or([0; 32])
}

fn slot_generation(slot: &[u8]) -> u32 {
	slot.get(1..5).and_then(|g| g.try_into().ok()).map(u32::from_le_bytes).unwrap_or(u32::MAX)
}

/// A slot's bytes.
fn encode_slot(
	state: u8,
	generation: u32,
	handle: &[u8; 32],
	sealed: &[u8],
) -> Result<[u8; SLOT_SIZE], VaultError> {
	let mut slot = [0u8; SLOT_SIZE];
	let fields: [&[u8]; 4] = [&[state], &generation.to_le_bytes(), handle, sealed];
	let mut at = 0;
	for field in fields {
		let end = at + field.len();
		slot.get_mut(at..end).ok_or(VaultError::Corrupt)?.copy_from_slice(field);
		at = end;
	}
	Ok(slot)
}
