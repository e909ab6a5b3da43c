//! The vault's read cache: look-ups, sealed records and opened directories
//! of recently used subscriptions, so that answering a Cx request opens no
//! database transaction. See `docs/vault.md`.

use super::{Directory, Vault};
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
