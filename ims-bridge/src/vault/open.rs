//! Opening a vault: its file, the keyring beside it, and what a crash or
//! an older version of the bridge left to settle (`docs/vault.md`).

use super::keyring::{Keyring, Opened};
use super::seal::{CacheSeal, FileSeal};
use super::{
	batch, key, sealed, Cache, Vault, VaultError, VaultKey, KEY_CHECK, KEY_CHECK_PLAINTEXT, LOOKUP,
	META, PAGE_CACHE_BYTES, SUBSCRIBERS,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

/// Chunks of slots re-wrapped between two lines of progress (about half a
/// million slots).
const REWRAP_CHUNKS_LOGGED: u32 = 64;
/// The name of the keyring the vault belongs with.
const KEYRING_ID: &str = "keyring-id";
/// Subscriptions whose records are erased and whose data keys may not be
/// destroyed yet, with their slots: settled at open after a crash.
pub(super) const SHREDDING: TableDefinition<&[u8], u32> = TableDefinition::new("shredding");

impl Vault {
	/// Opens the vault at `path` with its keyring at `keyring`, creating
	/// both if absent, with a read cache of at most `cache_subscribers`
	/// subscriptions (0: none). A rotation or a move to data keys that a
	/// crash interrupted is finished first.
	pub fn open_at(
		path: &Path,
		keyring: &Path,
		key: &VaultKey,
		cache_subscribers: u32,
	) -> Result<Vault, VaultError> {
		let db = Database::builder().set_cache_size(PAGE_CACHE_BYTES).create(path)?;
		let (id, legacy) = prepare(&db, key, keyring)?;
		let Opened { keyring: keys, reserved } = Keyring::open(keyring, key, id)?;
		let vault = Vault {
			index_mac: <Hmac<Sha256> as Mac>::new_from_slice(keys.index_key())
				.unwrap_or_else(|_| unreachable!("HMAC takes keys of any length; qed")),
			db: RwLock::new(db),
			keys,
			legacy,
			leases: Mutex::new(HashMap::new()),
			cache: (cache_subscribers > 0).then(|| Cache::new(cache_subscribers)),
			cache_seal: CacheSeal::new(),
		};
		vault.settle_reserved(reserved)?;
		vault.finish_shredding()?;
		if vault.legacy.is_some() {
			let moved = vault.migrate()?;
			vault.forget_legacy_key()?;
			tracing::info!(moved, "vault moved to a data key per subscription");
		}
		if vault.keys.rotating() {
			tracing::warn!("a vault key rotation was interrupted: finishing it");
			vault.rewrap_all()?;
			vault.keys.finish_rotation()?;
		}
		Ok(vault)
	}

	/// Reserved slots: confirmed where their record was committed naming
	/// them, destroyed where not.
	fn settle_reserved(&self, reserved: Vec<(u32, [u8; 32])>) -> Result<(), VaultError> {
		let mut live = Vec::new();
		let mut dead = Vec::new();
		{
			let db = self.db();
			let txn = db.begin_read()?;
			let records = txn.open_table(SUBSCRIBERS)?;
			for (slot, handle) in reserved {
				let named = records.get(handle.as_slice())?.map(|s| sealed::slot_of(s.value()));
				match named.transpose()?.flatten() {
					Some(named) if named == slot => live.push(slot),
					_ => dead.push((slot, handle)),
				}
			}
		}
		self.keys.confirm(live)?;
		self.keys.destroy(&dead)
	}

	/// Destroys the data keys of erasures a crash interrupted.
	pub(super) fn finish_shredding(&self) -> Result<(), VaultError> {
		let db = self.db();
		let txn = db.begin_write()?;
		{
			let mut shredding = txn.open_table(SHREDDING)?;
			let mut slots = Vec::new();
			for entry in shredding.iter()? {
				let (handle, slot) = entry?;
				let handle =
					<[u8; 32]>::try_from(handle.value()).map_err(|_| VaultError::Corrupt)?;
				slots.push((slot.value(), handle));
			}
			self.keys.destroy(&slots)?;
			shredding.retain(|_, _| false)?;
		}
		txn.commit()?;
		Ok(())
	}

	/// Removes the check of the key version 1 records were sealed under,
	/// once none is left: the file then needs its keyring.
	fn forget_legacy_key(&self) -> Result<(), VaultError> {
		let db = self.db();
		let txn = db.begin_write()?;
		txn.open_table(META)?.remove(KEY_CHECK)?;
		txn.commit()?;
		Ok(())
	}

	/// Re-wraps every data key under `new` while the vault is in use, then
	/// forgets the old key; returns the keys re-wrapped. From then on only
	/// `new` opens the vault. A crash part way leaves a vault that either
	/// key opens, and opening it finishes the rotation. Progress goes to
	/// the log.
	pub fn rotate_key(&self, new: &VaultKey) -> Result<u64, VaultError> {
		self.keys.begin_rotation(new)?;
		let rewrapped = self.rewrap_all()?;
		self.keys.finish_rotation()?;
		tracing::info!(rewrapped, "vault key rotated: only the new key opens the vault");
		Ok(rewrapped)
	}

	/// Re-wraps every slot of a rotation under way, logging progress.
	fn rewrap_all(&self) -> Result<u64, VaultError> {
		let (_, slots) = self.keys.usage();
		let (mut first, mut rewrapped) = (0, 0);
		loop {
			let (done, next) = self.keys.rewrap(first, Some(REWRAP_CHUNKS_LOGGED))?;
			rewrapped += done;
			if next == first {
				return Ok(rewrapped);
			}
			tracing::info!(slot = next, of = slots, rewrapped, "re-wrapping the vault's data keys");
			first = next;
		}
	}

	/// Data keys in use and slots in the keyring.
	pub fn keyring_usage(&self) -> (u32, u32) {
		self.keys.usage()
	}
}

/// Makes the file's tables, names its keyring (a new name for a new
/// file), and creates the keyring where none exists and none is needed
/// yet. Returns the keyring's name and, for a vault made before keyrings,
/// the cipher of its records.
fn prepare(
	db: &Database,
	key: &VaultKey,
	keyring: &Path,
) -> Result<([u8; 16], Option<FileSeal>), VaultError> {
	let txn = db.begin_write()?;
	let (id, legacy, records) = {
		let mut meta = txn.open_table(META)?;
		let legacy = match meta.get(KEY_CHECK)?.map(|v| v.value().to_vec()) {
			Some(check) => {
				let seal = FileSeal::new(&key.derive(key::ENCRYPTION_LABEL));
				let plain = seal.open(b"meta", KEY_CHECK.as_bytes(), &check);
				if !plain.is_ok_and(|p| p.as_slice() == KEY_CHECK_PLAINTEXT) {
					return Err(VaultError::WrongKey);
				}
				Some(seal)
			},
			None => None,
		};
		let named = meta.get(KEYRING_ID)?.map(|v| <[u8; 16]>::try_from(v.value()));
		let id = match named {
			Some(id) => id.map_err(|_| VaultError::Corrupt)?,
			None => {
				let mut id = [0u8; 16];
				rand::rngs::OsRng.fill_bytes(&mut id);
				meta.insert(KEYRING_ID, id.as_slice())?;
				id
			},
		};
		let records = txn.open_table(SUBSCRIBERS)?.first()?.is_some();
		txn.open_table(LOOKUP)?;
		txn.open_table(batch::PENDING)?;
		txn.open_table(SHREDDING)?;
		(id, legacy, records)
	};
	txn.commit()?;
	if !keyring.exists() {
		if records && legacy.is_none() {
			let why = "it is missing, and the vault's records were sealed under its keys";
			return Err(VaultError::KeyringMismatch { path: keyring.into(), why });
		}
		Keyring::create(keyring, key, id)?;
	}
	Ok((id, legacy))
}
