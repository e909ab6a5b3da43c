//! The index written to a file at a finalized block, so that a restart
//! reads one file and replays the blocks since, instead of asking the node
//! for every identity (design note: `docs/index.md`, "Snapshots").
//!
//! The index keeps serving while a snapshot is written: identities are
//! copied out a chunk at a time, each under a short read lock, so a
//! snapshot is *fuzzy*. Every chunk is at least as new as the block the
//! snapshot names (`at`, read before the first chunk), and replaying the
//! blocks after `at` reads again every identity changed since, whatever
//! chunk it was in: that makes the result exact.
//!
//! Layout: a fixed header, the IMPUs, the IMPIs, then the shared parts
//! (S-CSCF names, profiles, implicit-set parts, realms) that the IMPUs
//! refer to by number. The header is written last, with the offset of the
//! shared parts and a CRC-32 of everything after it.

use super::store::{SetImpis, SetMembers, SetProfile, SetProfiles, Shared, Slot, Store};
use super::{At, ImpiEntry, Index};
use codec::{Compact, Decode, Encode, IoReader};
use ims_primitives::{
	ChargingInformation, ImpiId, ImplicitSetId, ImpuId, ImpuKind, Name, ProfileView,
	PublicIdentityView, RealmId, RegistrationState, SubscriptionId, VisitedNetworks,
};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAGIC: [u8; 8] = *b"IMSINDEX";
/// The layout this bridge writes and reads.
pub const VERSION: u32 = 1;
/// Identities copied out of the index under one read lock.
const CHUNK: usize = 4096;
/// The identities are written in parts, by the first byte of their
/// pseudonyms, and the keys of one part copied at a time: the keys of every
/// identity at once were 99 MB at a million subscribers. Each part is one
/// scan of the table under a read lock.
const PARTS: u8 = 16;

/// Calls `write` with every entry of the table `of` picks, part by part
/// (one scan under a read lock lists a part's keys), [`CHUNK`] entries
/// copied out under a read lock at a time. Returns how many it wrote.
fn for_each_in_parts<V: Clone>(
	index: &Index,
	of: impl Fn(&Store) -> &HashMap<ImpuId, V>,
	mut write: impl FnMut(ImpuId, V) -> std::io::Result<()>,
) -> std::io::Result<u64> {
	let mut written = 0;
	for part in 0..PARTS {
		let keys: Vec<ImpuId> = {
			let state = index.read();
			of(&state.store).keys().filter(|key| key.0[0] % PARTS == part).copied().collect()
		};
		for chunk in keys.chunks(CHUNK) {
			let entries: Vec<(ImpuId, V)> = {
				let state = index.read();
				let table = of(&state.store);
				chunk.iter().filter_map(|k| Some((*k, table.get(k)?.clone()))).collect()
			};
			for (key, value) in entries {
				write(key, value)?;
				written += 1;
			}
		}
	}
	Ok(written)
}

/// What a snapshot is of: the chain, the runtime that built its views, and
/// the block.
#[derive(Encode, Decode, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The runtime's `spec_version` when it was written.
	pub spec_version: u32,
	/// The block (every identity is at least this new).
	pub at: At,
}

#[derive(Encode, Decode, Default)]
struct Header {
	magic: [u8; 8],
	version: u32,
	mark: Option<Mark>,
	impus: u64,
	impis: u64,
	/// Where the shared parts start.
	tail: u64,
	/// CRC-32 of every byte after the header.
	crc: u32,
}

/// The header's size on disk: fixed, since it is written again at the end.
fn header_len() -> u64 {
	let full = Header { mark: Some(Mark::default()), ..Default::default() };
	full.encoded_size() as u64
}

/// Why a snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
	/// The file could not be read or written.
	#[error("index snapshot {path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// The failure.
		source: std::io::Error,
	},
	/// The file is not a snapshot.
	#[error("index snapshot {0}: not an index snapshot")]
	NotSnapshot(PathBuf),
	/// Written in another layout.
	#[error("index snapshot {path}: layout version {found}, this bridge reads {VERSION}")]
	Version {
		/// The file.
		path: PathBuf,
		/// Its version.
		found: u32,
	},
	/// Its checksum does not match: cut short or damaged.
	#[error("index snapshot {0}: checksum mismatch (cut short or damaged)")]
	Checksum(PathBuf),
	/// Its content does not decode.
	#[error("index snapshot {path}: damaged: {source}")]
	Damaged {
		/// The file.
		path: PathBuf,
		/// The decoding error.
		source: codec::Error,
	},
	/// The index had not been loaded: there is nothing to write.
	#[error("index snapshot: the index is not loaded yet")]
	NotLoaded,
}

/// One IMPU on disk: its own fields and the numbers of its shared parts.
#[derive(Encode, Decode)]
struct StoredImpu {
	impu: ImpuId,
	kind: ImpuKind,
	barred: bool,
	can_register: bool,
	state: RegistrationState,
	scscf: Option<u32>,
	set: u32,
}

/// An implicit set's shared part on disk, its profiles by number.
#[derive(Encode, Decode)]
struct StoredSet {
	subscription: SubscriptionId,
	realm: RealmId,
	realm_name: Name,
	implicit_set: Option<ImplicitSetId>,
	all_barred: bool,
	roaming: VisitedNetworks,
	associated_impis: Vec<ImpiId>,
	profiles: Vec<(u32, Vec<PublicIdentityView>)>,
	charging: Option<ChargingInformation>,
}

/// Numbers shared parts in the order first met. The `Arc`s are held so
/// that no address is reused while the snapshot is written.
struct Numbering<T> {
	by_address: HashMap<*const T, u32>,
	values: Vec<Arc<T>>,
}

impl<T> Default for Numbering<T> {
	fn default() -> Self {
		Self { by_address: HashMap::new(), values: Vec::new() }
	}
}

impl<T> Numbering<T> {
	fn number(&mut self, value: &Arc<T>) -> u32 {
		let next = self.values.len() as u32;
		*self.by_address.entry(Arc::as_ptr(value)).or_insert_with(|| {
			self.values.push(value.clone());
			next
		})
	}
}

/// A writer that counts and checksums what goes through it.
struct Sum<W> {
	inner: W,
	crc: crc32fast::Hasher,
	written: u64,
}

impl<W: Write> Write for Sum<W> {
	fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
		let n = self.inner.write(bytes)?;
		self.crc.update(bytes.get(..n).unwrap_or_default());
		self.written += n as u64;
		Ok(n)
	}

	fn flush(&mut self) -> std::io::Result<()> {
		self.inner.flush()
	}
}

/// What a written snapshot holds.
#[derive(Debug, Clone, Copy)]
pub struct Written {
	/// Its mark.
	pub mark: Mark,
	/// IMPUs and IMPIs.
	pub identities: (u64, u64),
	/// Its size in bytes.
	pub bytes: u64,
}

/// Writes `index` to `path` (through a temporary file beside it, renamed
/// over it once synced). `genesis` and `spec_version` name the chain.
pub fn write(
	index: &Index,
	path: &Path,
	genesis: [u8; 32],
	spec_version: u32,
) -> Result<Written, SnapshotError> {
	let io = |source| SnapshotError::Io { path: path.to_path_buf(), source };
	let (at, realms) = {
		let state = index.read();
		let at = state.at.ok_or(SnapshotError::NotLoaded)?;
		let realms: Vec<(String, RealmId)> =
			state.store.realms.iter().map(|(n, r)| (n.clone(), *r)).collect();
		(at, realms)
	};
	let mark = Mark { genesis, spec_version, at };
	let temporary = path.with_extension("snapshot-partial");
	// Operator data, if no secret: readable by the bridge's user alone.
	let mut options = std::fs::OpenOptions::new();
	options.write(true).create(true).truncate(true);
	#[cfg(unix)]
	std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
	let file = options.open(&temporary).map_err(io)?;
	let mut out = BufWriter::with_capacity(1 << 20, file);
	out.write_all(&vec![0; header_len() as usize]).map_err(io)?;
	let mut body = Sum { inner: out, crc: crc32fast::Hasher::new(), written: 0 };
	// Each item is encoded here, then written: SCALE's encoding straight
	// into a writer panics when the write fails (a full disk).
	let mut buffer = Vec::new();
	let mut sets = Numbering::<Shared>::default();
	let mut scscfs = Numbering::<Name>::default();
	let impus = for_each_in_parts(
		index,
		|store| &store.impus,
		|impu, slot: Slot| {
			let stored = StoredImpu {
				impu,
				kind: slot.kind,
				barred: slot.barred,
				can_register: slot.can_register,
				state: slot.state,
				scscf: slot.scscf.as_ref().map(|name| scscfs.number(name)),
				set: sets.number(&slot.shared),
			};
			put(&mut body, &mut buffer, &stored)
		},
	)
	.map_err(io)?;
	let impis = for_each_in_parts(
		index,
		|store| &store.impis,
		|impi, entry: ImpiEntry| put(&mut body, &mut buffer, &(impi, entry)),
	)
	.map_err(io)?;
	let tail = header_len() + body.written;
	// The tail, SCALE-encoded as the vectors S-CSCF names, profiles, sets
	// and realms would be, written item by item: encoded whole it would be
	// a second copy of every set in memory.
	let mut profiles = Numbering::<ProfileView>::default();
	for set in &sets.values {
		for profile in &set.profiles {
			profiles.number(&profile.body);
		}
	}
	put_all(&mut body, &mut buffer, &scscfs.values).map_err(io)?;
	put_all(&mut body, &mut buffer, &profiles.values).map_err(io)?;
	put(&mut body, &mut buffer, &Compact(sets.values.len() as u32)).map_err(io)?;
	for set in &sets.values {
		put(&mut body, &mut buffer, &stored_set(set, &mut profiles)).map_err(io)?;
	}
	put(&mut body, &mut buffer, &realms).map_err(io)?;
	let header = Header {
		magic: MAGIC,
		version: VERSION,
		mark: Some(mark),
		impus,
		impis,
		tail,
		crc: body.crc.finalize(),
	};
	let bytes = header_len() + body.written;
	let mut out = body.inner;
	out.seek(SeekFrom::Start(0)).map_err(io)?;
	out.write_all(&header.encode()).map_err(io)?;
	let file = out.into_inner().map_err(|e| io(e.into_error()))?;
	file.sync_all().map_err(io)?;
	drop(file);
	std::fs::rename(&temporary, path).map_err(io)?;
	Ok(Written { mark, identities: (impus, impis), bytes })
}

/// Writes one encoded value.
fn put<T: Encode>(out: &mut impl Write, buffer: &mut Vec<u8>, value: &T) -> std::io::Result<()> {
	buffer.clear();
	value.encode_to(buffer);
	out.write_all(buffer)
}

/// Writes values as SCALE encodes a `Vec` of them: the count, then each.
fn put_all<T: Encode>(
	out: &mut impl Write,
	buffer: &mut Vec<u8>,
	values: &[Arc<T>],
) -> std::io::Result<()> {
	put(out, buffer, &Compact(values.len() as u32))?;
	values.iter().try_for_each(|value| put(out, buffer, &**value))
}

fn stored_set(shared: &Arc<Shared>, profiles: &mut Numbering<ProfileView>) -> StoredSet {
	StoredSet {
		subscription: shared.subscription,
		realm: shared.realm,
		realm_name: Name::clone(&shared.realm_name),
		implicit_set: shared.implicit_set,
		all_barred: shared.all_barred,
		roaming: VisitedNetworks::clone(&shared.roaming),
		associated_impis: shared.associated_impis.to_vec(),
		profiles: shared
			.profiles
			.iter()
			.map(|p| (profiles.number(&p.body), p.identities.to_vec()))
			.collect(),
		charging: shared.charging.as_deref().cloned(),
	}
}

/// Reads a snapshot: its mark and the index it holds.
pub fn read(path: &Path) -> Result<(Mark, Store), SnapshotError> {
	let io = |source| SnapshotError::Io { path: path.to_path_buf(), source };
	let damaged = |source| SnapshotError::Damaged { path: path.to_path_buf(), source };
	let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
	let (header, mark) = read_header(path, &mut file)?;
	if checksum(&mut file).map_err(io)? != header.crc {
		return Err(SnapshotError::Checksum(path.to_path_buf()));
	}
	file.seek(SeekFrom::Start(header.tail)).map_err(io)?;
	let mut store = Store::default();
	let parts = read_parts(&mut IoReader(&mut file), &mut store).map_err(damaged)?;
	file.seek(SeekFrom::Start(header_len())).map_err(io)?;
	let mut input = IoReader(&mut file);
	store.impus.reserve(usize::try_from(header.impus).unwrap_or(0));
	for _ in 0..header.impus {
		let stored = StoredImpu::decode(&mut input).map_err(damaged)?;
		let mut slot = parts.slot(&stored).ok_or_else(|| damaged("S-CSCF or set number".into()))?;
		slot.shared = store.shared_with_fellows(&stored.impu, slot.shared);
		store.impus.insert(stored.impu, slot);
	}
	store.impis.reserve(usize::try_from(header.impis).unwrap_or(0));
	for _ in 0..header.impis {
		let (impi, entry) = <(ImpiId, ImpiEntry)>::decode(&mut input).map_err(damaged)?;
		store.impis.insert(impi, entry);
	}
	Ok((mark, store))
}

/// The header of a snapshot this bridge reads, and its mark.
fn read_header(path: &Path, file: &mut impl Read) -> Result<(Header, Mark), SnapshotError> {
	let not_snapshot = || SnapshotError::NotSnapshot(path.to_path_buf());
	let mut head = vec![0; header_len() as usize];
	file.read_exact(&mut head).map_err(|_| not_snapshot())?;
	let header = Header::decode(&mut head.as_slice()).map_err(|_| not_snapshot())?;
	if header.magic != MAGIC {
		return Err(not_snapshot());
	}
	if header.version != VERSION {
		return Err(SnapshotError::Version { path: path.to_path_buf(), found: header.version });
	}
	let mark = header.mark.ok_or_else(not_snapshot)?;
	Ok((header, mark))
}

/// The shared parts the IMPUs of a snapshot refer to by number.
struct Parts {
	scscfs: Vec<Arc<Name>>,
	sets: Vec<Arc<Shared>>,
}

impl Parts {
	/// The slot of an IMPU on disk; `None` if a number is out of range.
	fn slot(&self, stored: &StoredImpu) -> Option<Slot> {
		let scscf = match stored.scscf {
			None => None,
			Some(n) => Some(self.scscfs.get(n as usize)?.clone()),
		};
		Some(Slot {
			kind: stored.kind,
			barred: stored.barred,
			can_register: stored.can_register,
			state: stored.state,
			scscf,
			shared: self.sets.get(stored.set as usize)?.clone(),
		})
	}
}

/// Reads the tail (S-CSCF names, profiles, sets, realms) into `store`'s
/// interners and the parts it numbers. Sets are decoded one at a time:
/// decoded whole they were a second copy of every set, and their freed
/// remains were left between the parts that stay.
fn read_parts(input: &mut impl codec::Input, store: &mut Store) -> Result<Parts, codec::Error> {
	let scscfs = Vec::<Name>::decode(input)?.into_iter().map(|n| store.intern_name(n)).collect();
	let profiles: Vec<Arc<ProfileView>> =
		Vec::<ProfileView>::decode(input)?.into_iter().map(|p| store.intern_profile(p)).collect();
	let count = Compact::<u32>::decode(input)?.0;
	// A damaged count must not reserve memory for sets that are not there.
	let mut sets = Vec::with_capacity((count as usize).min(1 << 20));
	for _ in 0..count {
		let set = StoredSet::decode(input)?;
		let shared = shared_of(set, &profiles, store).ok_or("profile number")?;
		sets.push(Arc::new(shared));
	}
	let realms = Vec::<(String, RealmId)>::decode(input)?;
	store.set_realms(realms.into_iter().collect());
	Ok(Parts { scscfs, sets })
}

fn shared_of(set: StoredSet, profiles: &[Arc<ProfileView>], store: &mut Store) -> Option<Shared> {
	let profiles = set
		.profiles
		.into_iter()
		.map(|(n, identities)| {
			let body = profiles.get(n as usize)?.clone();
			Some(SetProfile { body, identities: SetMembers::from_vec(identities) })
		})
		.collect::<Option<SetProfiles>>()?;
	Some(Shared {
		subscription: set.subscription,
		realm: set.realm,
		realm_name: store.intern_name(set.realm_name),
		implicit_set: set.implicit_set,
		all_barred: set.all_barred,
		roaming: store.intern_roaming(set.roaming),
		associated_impis: SetImpis::from_vec(set.associated_impis),
		profiles,
		charging: set.charging.map(|c| store.intern_charging(c)),
	})
}

/// CRC-32 of everything from the reader's position to its end.
fn checksum<R: Read>(input: &mut R) -> std::io::Result<u32> {
	let mut crc = crc32fast::Hasher::new();
	let mut buffer = vec![0; 1 << 20];
	loop {
		match input.read(&mut buffer)? {
			0 => return Ok(crc.finalize()),
			n => crc.update(buffer.get(..n).unwrap_or_default()),
		}
	}
}
