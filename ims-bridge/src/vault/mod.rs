//! The vault: per-subscriber secrets and cleartext identities, off chain,
//! encrypted at rest in one redb file, with a bounded read cache so that a
//! Cx answer opens no database transaction. The design, its ciphers and
//! its failure cases are in `docs/vault.md`.
//!
//! - `key`: the operator's vault key and the keys derived from it.
//! - `keyring`: each subscription's data key, wrapped, in slots that
//!   erasure overwrites; the vault key's rotation.
//! - `open`: opening, and settling what a crash left.
//! - `seal`: the file's cipher and the read cache's cipher.
//! - `sealed`: how a record is sealed under its data key.
//! - `record`: what a subscription holds, and its directory of names.
//! - `cache`: the read cache and how writes invalidate it.
//! - `admission`: which subscriptions a miss brings into the cache.
//! - `sqn`: AKA sequence numbers, reserved in durable blocks.

mod admission;
mod batch;
mod cache;
mod erase;
mod error;
mod key;
mod keyring;
mod open;
mod record;
mod seal;
mod sealed;
mod sqn;

pub use error::VaultError;
pub use key::VaultKey;
pub use record::{AkaSecret, DigestSecret, Directory, PrivateIdentity, Subscriber};
pub use sqn::SQN_BLOCK;

use crate::pseudonym::Kind;
use cache::Cache;
use codec::Encode;
use hmac::{Hmac, Mac};
use keyring::Keyring;
use record::decode_plain;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use seal::{CacheSeal, FileSeal};
use sha2::Sha256;
use sqn::Lease;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use zeroize::Zeroizing;

/// Subscriber records by handle (the subscription's pseudonym).
pub(super) const SUBSCRIBERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("subscribers");
/// Handles by keyed hash of an identity.
const LOOKUP: TableDefinition<&[u8], &[u8]> = TableDefinition::new("lookup");
/// The vault's own facts: the name of its keyring, and in a vault made
/// before keyrings the check of the key its records were sealed under.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const KEY_CHECK: &str = "key-check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"ims-bridge vault v1";
/// Subscriptions whose sealed records the read cache keeps by default (about
/// a kilobyte each with their look-ups).
pub const DEFAULT_CACHE_SUBSCRIBERS: u32 = 100_000;
/// The database's own cache of file pages. redb keeps up to 1 GiB by
/// default, nearly the whole file at a million subscribers, beside the
/// decrypted cache above and the kernel's page cache of the same file
/// (`docs/vault.md`, "Memory").
const PAGE_CACHE_BYTES: usize = 64 << 20;

/// A subscription's handle and its record opened, read from the file.
type Fetched = ([u8; 32], Zeroizing<Vec<u8>>);
/// A subscription's directory, and its record when asked for.
type Resolved = (Arc<Directory>, Option<Subscriber>);

/// The vault. Shared between tasks behind an `Arc`; its writes block on the
/// disk and belong in `spawn_blocking` on an async runtime (reads of cached
/// subscriptions do not touch the file).
pub struct Vault {
	/// Behind a lock only so that erasure can compact the file; every other
	/// operation shares it.
	db: RwLock<Database>,
	/// The data keys of the records.
	keys: Keyring,
	/// The cipher of records sealed before keyrings, while they are moved.
	legacy: Option<FileSeal>,
	/// HMAC-SHA-256 keyed with the index key, cloned for each look-up key.
	index_mac: Hmac<Sha256>,
	leases: Mutex<HashMap<[u8; 32], Lease>>,
	/// `None` when opened without a cache.
	cache: Option<Mutex<Cache>>,
	/// The cipher of the cache's records.
	cache_seal: CacheSeal,
}

impl Vault {
	/// Opens the vault at `path`, creating it if absent, with a read cache
	/// of [`DEFAULT_CACHE_SUBSCRIBERS`]. Fails with
	/// [`VaultError::WrongKey`] when the file was made with another key.
	pub fn open(path: &Path, key: &VaultKey) -> Result<Vault, VaultError> {
		Vault::open_with_cache(path, key, DEFAULT_CACHE_SUBSCRIBERS)
	}

	/// Opens the vault with a read cache of at most `cache_subscribers`
	/// subscriptions (0: no cache, every read is a database transaction),
	/// and its keyring beside it (`vault.keys` for `vault.redb`).
	pub fn open_with_cache(
		path: &Path,
		key: &VaultKey,
		cache_subscribers: u32,
	) -> Result<Vault, VaultError> {
		Vault::open_at(path, &Keyring::path_for(path), key, cache_subscribers)
	}

	/// The keyring's file for the vault file `path` when none is configured.
	pub fn default_keyring(path: &Path) -> std::path::PathBuf {
		Keyring::path_for(path)
	}

	/// The database, shared with every operation but compaction.
	pub(super) fn db(&self) -> std::sync::RwLockReadGuard<'_, Database> {
		self.db.read().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// The keyed hash the vault finds an identity by.
	pub(super) fn lookup_key(&self, kind: Kind, identity: &str) -> [u8; 32] {
		let mut mac = self.index_mac.clone();
		mac.update(match kind {
			Kind::Subscription => b"imsu\0",
			Kind::Impi => b"impi\0",
			Kind::Impu => b"impu\0",
		});
		mac.update(identity.as_bytes());
		mac.finalize().into_bytes().into()
	}

	/// A stable, unlinkable pseudonym for an identity the vault does not
	/// hold, so that requests about unknown users can still be audited:
	/// the same identity always gets the same value, and without the vault
	/// key nobody can tell which identity it was (nor match it to a vault
	/// entry if the identity is provisioned later).
	pub fn unknown_pseudonym(&self, kind: Kind, identity: &str) -> [u8; 32] {
		let mut mac = self.index_mac.clone();
		mac.update(b"unknown\0");
		mac.update(&self.lookup_key(kind, identity));
		mac.finalize().into_bytes().into()
	}

	/// A subscriber from its record in the file.
	pub(super) fn decode(
		&self,
		handle: &[u8; 32],
		sealed: &[u8],
	) -> Result<Subscriber, VaultError> {
		decode_plain(&self.open_record(handle, sealed)?)
	}

	/// The subscription with this handle, from the cache or the file.
	fn read_handle(&self, handle: &[u8; 32]) -> Result<Option<Subscriber>, VaultError> {
		let generation = match self.cache() {
			Some(mut cache) => match cache.records.get(handle) {
				Some(sealed) => {
					let sealed = sealed.clone();
					drop(cache);
					return decode_plain(&self.cache_seal.open(handle, &sealed)?).map(Some);
				},
				None => Some(cache.generation),
			},
			None => None,
		};
		let Some(plain) = self.fetch(handle)? else { return Ok(None) };
		let subscriber = decode_plain(&plain)?;
		self.keep(generation, handle, (&plain, &subscriber), None, None);
		Ok(Some(subscriber))
	}

	/// The record with this handle opened, from the file.
	fn fetch(&self, handle: &[u8; 32]) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
		let db = self.db();
		let txn = db.begin_read()?;
		let table = txn.open_table(SUBSCRIBERS)?;
		let sealed = table.get(handle.as_slice())?;
		let plain = sealed.map(|s| self.open_record(handle, s.value()));
		plain.transpose()
	}

	/// The handle a look-up key leads to and its record opened, from the
	/// file in one read transaction.
	fn fetch_by_key(&self, key: &[u8; 32]) -> Result<Option<Fetched>, VaultError> {
		let db = self.db();
		let txn = db.begin_read()?;
		let lookup = txn.open_table(LOOKUP)?;
		let Some(handle) = lookup.get(key.as_slice())? else { return Ok(None) };
		let handle = <[u8; 32]>::try_from(handle.value()).map_err(|_| VaultError::Corrupt)?;
		let records = txn.open_table(SUBSCRIBERS)?;
		// Written and erased with its look-ups in one transaction.
		let sealed = records.get(handle.as_slice())?.ok_or(VaultError::Corrupt)?;
		let plain = self.open_record(&handle, sealed.value())?;
		Ok(Some((handle, plain)))
	}

	/// The directory of the subscription that holds an identity, with its
	/// record opened when `secrets`: from the cache when it holds them,
	/// otherwise from the file in one read transaction.
	fn resolve(
		&self,
		kind: Kind,
		identity: &str,
		secrets: bool,
	) -> Result<Option<Resolved>, VaultError> {
		let key = self.lookup_key(kind, identity);
		let generation = match self.cache() {
			Some(mut cache) => {
				let handle = cache.handles.get(&key).copied();
				let directory = handle.and_then(|h| cache.directories.get(&h).cloned());
				match (handle, directory) {
					(Some(_), Some(directory)) if !secrets => return Ok(Some((directory, None))),
					(Some(handle), Some(directory)) => {
						if let Some(sealed) = cache.records.get(&handle).cloned() {
							drop(cache);
							let plain = self.cache_seal.open(&handle, &sealed)?;
							return Ok(Some((directory, Some(decode_plain(&plain)?))));
						}
						Some(cache.generation)
					},
					_ => Some(cache.generation),
				}
			},
			None => None,
		};
		let Some((handle, plain)) = self.fetch_by_key(&key)? else { return Ok(None) };
		let subscriber = decode_plain(&plain)?;
		let directory = Arc::new(Directory::of(&subscriber));
		self.keep(generation, &handle, (&plain, &subscriber), Some(directory.clone()), Some(key));
		Ok(Some((directory, secrets.then_some(subscriber))))
	}

	/// Stores a subscription (new, or replacing the one with the same
	/// handle) and indexes its identities. Returns its handle.
	pub fn put(&self, subscriber: &Subscriber) -> Result<[u8; 32], VaultError> {
		let handle = subscriber.handle();
		// Lock order: leases, then the database (as in `next_aka`).
		let mut leases = locked(&self.leases);
		let db = self.db();
		let txn = db.begin_write()?;
		// Every look-up key the write touches, old and new.
		let mut changed = Vec::new();
		let mut fresh = None;
		let written = (|| {
			let mut records = txn.open_table(SUBSCRIBERS)?;
			let mut lookup = txn.open_table(LOOKUP)?;
			let old = records.get(handle.as_slice())?.map(|s| s.value().to_vec());
			let key = match &old {
				Some(sealed) => {
					for (kind, name) in self.decode(&handle, sealed)?.lookup_names() {
						let key = self.lookup_key(kind, name);
						lookup.remove(key.as_slice())?;
						// Its reservations go too: a lease holds the old keys.
						leases.remove(&key);
						changed.push(key);
					}
					self.key_of(&handle, sealed)?
				},
				None => {
					let key = self.keys.allocate(&[handle])?.pop().ok_or(VaultError::Corrupt)?;
					fresh = Some(key.0);
					key
				},
			};
			self.insert(&mut records, &mut lookup, subscriber, &key, &mut changed)
		})()
		.and_then(|_| txn.commit().map_err(VaultError::from));
		if let Err(e) = written {
			// A new key no record names goes at once.
			self.keys.destroy(&fresh.map(|slot| (slot, handle)).into_iter().collect::<Vec<_>>())?;
			return Err(e);
		}
		self.keys.confirm(fresh)?;
		self.forget(&changed, &handle);
		for impi in &subscriber.impis {
			leases.remove(&self.lookup_key(Kind::Impi, &impi.identity));
		}
		Ok(handle)
	}

	/// Writes a subscription's record and look-ups in an open transaction,
	/// adding the look-up keys to `changed`; an identity another
	/// subscription holds refuses the write.
	pub(super) fn insert(
		&self,
		records: &mut redb::Table<&[u8], &[u8]>,
		lookup: &mut redb::Table<&[u8], &[u8]>,
		subscriber: &Subscriber,
		key: &keyring::DataKey,
		changed: &mut Vec<[u8; 32]>,
	) -> Result<[u8; 32], VaultError> {
		let handle = subscriber.handle();
		for (kind, name) in subscriber.lookup_names() {
			let key = self.lookup_key(kind, name);
			let taken = lookup.get(key.as_slice())?.is_some_and(|h| h.value() != handle);
			if taken {
				return Err(VaultError::IdentityTaken(name.to_string()));
			}
			lookup.insert(key.as_slice(), handle.as_slice())?;
			changed.push(key);
		}
		let plain = Zeroizing::new(subscriber.encode());
		let sealed = self.seal_record(&handle, key, &plain)?;
		records.insert(handle.as_slice(), sealed.as_slice())?;
		Ok(handle)
	}

	/// The subscription with this handle.
	pub fn get(&self, handle: &[u8; 32]) -> Result<Option<Subscriber>, VaultError> {
		self.read_handle(handle)
	}

	/// The handle of the subscription that holds an identity. A miss of
	/// the cache reads the look-up alone and keeps nothing: what reads a
	/// subscription (`directory_of`, `find`) brings it in.
	pub fn handle_of(&self, kind: Kind, identity: &str) -> Result<Option<[u8; 32]>, VaultError> {
		let key = self.lookup_key(kind, identity);
		if let Some(mut cache) = self.cache() {
			if let Some(handle) = cache.handles.get(&key) {
				return Ok(Some(*handle));
			}
		}
		let db = self.db();
		let txn = db.begin_read()?;
		let lookup = txn.open_table(LOOKUP)?;
		let found = lookup.get(key.as_slice())?;
		found.map(|h| <[u8; 32]>::try_from(h.value()).map_err(|_| VaultError::Corrupt)).transpose()
	}

	/// The directory of the subscription that holds an identity.
	pub fn directory_of(
		&self,
		kind: Kind,
		identity: &str,
	) -> Result<Option<Arc<Directory>>, VaultError> {
		Ok(self.resolve(kind, identity, false)?.map(|(directory, _)| directory))
	}

	/// The directory of the subscription that holds an identity and the
	/// subscription itself, secrets included, read together.
	pub fn find_with_directory(
		&self,
		kind: Kind,
		identity: &str,
	) -> Result<Option<(Arc<Directory>, Subscriber)>, VaultError> {
		let found = self.resolve(kind, identity, true)?;
		Ok(found.and_then(|(directory, subscriber)| Some((directory, subscriber?))))
	}

	/// The directory of the subscription with this handle: from memory when
	/// cached, otherwise opened from the record.
	pub fn directory(&self, handle: &[u8; 32]) -> Result<Option<Arc<Directory>>, VaultError> {
		let generation = match self.cache() {
			Some(mut cache) => match cache.directories.get(handle) {
				Some(directory) => return Ok(Some(directory.clone())),
				None => Some(cache.generation),
			},
			None => None,
		};
		let Some(plain) = self.fetch(handle)? else { return Ok(None) };
		let subscriber = decode_plain(&plain)?;
		let directory = Arc::new(Directory::of(&subscriber));
		self.keep(generation, handle, (&plain, &subscriber), Some(directory.clone()), None);
		Ok(Some(directory))
	}

	/// The subscription that holds an identity.
	pub fn find(&self, kind: Kind, identity: &str) -> Result<Option<Subscriber>, VaultError> {
		Ok(self.find_with_directory(kind, identity)?.map(|(_, subscriber)| subscriber))
	}
}

/// A lock that a panicking holder left poisoned is still used: every
/// structure behind one is consistent after each single change.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests;
