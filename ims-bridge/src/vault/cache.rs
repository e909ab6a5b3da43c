//! The vault's read cache: look-ups, sealed records and opened directories
//! of recently used subscriptions, so that answering a Cx request opens no
//! database transaction. See `docs/vault.md`.

use super::admission::Admission;
use super::{Directory, Subscriber, Vault};
use schnellru::{ByLength, LruMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// Look-ups the cache keeps per cached subscription: a subscription usually
/// has one IMPI and a few IMPUs.
pub(super) const CACHED_LOOKUPS_PER_SUBSCRIBER: u32 = 4;

/// What the vault keeps in memory to answer reads without a database
/// transaction: handles by look-up key and sealed records by handle, each
/// bounded, the least recently used going first.
pub(super) struct Cache {
	/// Handles by look-up key (identities the vault does not hold are not
	/// kept: they are looked up again each time).
	pub(super) handles: LruMap<[u8; 32], [u8; 32], ByLength>,
	/// Records by handle, sealed with [`CacheSeal`].
	pub(super) records: LruMap<[u8; 32], Arc<[u8]>, ByLength>,
	/// The directories of the same subscriptions, opened.
	pub(super) directories: LruMap<[u8; 32], Arc<Directory>, ByLength>,
	/// Advanced by every write once it has committed: a read that missed
	/// the cache before a write stores nothing of what it read, which may
	/// be from before the write.
	pub(super) generation: u64,
	/// Which subscriptions a miss brings in (`admission.rs`).
	pub(super) admission: Admission,
}

impl Cache {
	/// A cache of at most `subscribers` subscriptions.
	pub(super) fn new(subscribers: u32) -> Mutex<Cache> {
		let lookups = subscribers.saturating_mul(CACHED_LOOKUPS_PER_SUBSCRIBER);
		Mutex::new(Cache {
			handles: LruMap::new(ByLength::new(lookups)),
			records: LruMap::new(ByLength::new(subscribers)),
			directories: LruMap::new(ByLength::new(subscribers)),
			generation: 0,
			admission: Admission::new(subscribers),
		})
	}
}

impl Vault {
	/// The cache, if any, locked. It is the innermost lock: nothing else is
	/// taken while it is held.
	pub(super) fn cache(&self) -> Option<MutexGuard<'_, Cache>> {
		self.cache.as_ref().map(super::locked)
	}

	/// Stores what a read that missed the cache in `generation` found,
	/// unless a write has committed since (it may have read older data).
	pub(super) fn remember(&self, generation: Option<u64>, store: impl FnOnce(&mut Cache) -> bool) {
		if let (Some(generation), Some(mut cache)) = (generation, self.cache()) {
			if cache.generation == generation {
				store(&mut cache);
			}
		}
	}

	/// Keeps what a read that missed the cache in `generation` found of
	/// the subscription `handle` (its record opened, `plain`, and decoded;
	/// its directory if made, and the look-up key it was found by, if
	/// any), when the cache admits it: the second miss of it in a while,
	/// not the first (`docs/vault.md`, "Admission"). A read of a whole base
	/// at random would otherwise replace an entry at each miss, for a hit
	/// rate no better than without.
	pub(super) fn keep(
		&self,
		generation: Option<u64>,
		handle: &[u8; 32],
		(plain, subscriber): (&[u8], &Subscriber),
		directory: Option<Arc<Directory>>,
		key: Option<[u8; 32]>,
	) {
		let Some(generation) = generation else { return };
		let admitted = self.cache().is_some_and(|mut cache| {
			cache.generation == generation && cache.admission.admit(handle)
		});
		if !admitted {
			return;
		}
		let Some(sealed) = self.cache_seal.seal(handle, plain) else { return };
		let directory = directory.unwrap_or_else(|| Arc::new(Directory::of(subscriber)));
		self.remember(Some(generation), |cache| {
			if let Some(key) = key {
				cache.handles.insert(key, *handle);
			}
			cache.directories.insert(*handle, directory);
			cache.records.insert(*handle, sealed)
		});
	}

	/// After a committed write: drops the look-ups and records it changed,
	/// and tells reads in progress that what they read may be older.
	pub(super) fn forget(&self, lookups: &[[u8; 32]], handle: &[u8; 32]) {
		if let Some(mut cache) = self.cache() {
			cache.generation = cache.generation.wrapping_add(1);
			for key in lookups {
				cache.handles.remove(key);
			}
			cache.records.remove(handle);
			cache.directories.remove(handle);
		}
	}
}
