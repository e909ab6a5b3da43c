//! How a record is sealed in the file: under its subscription's own data
//! key, whose slot in the keyring the record names (`docs/vault.md`,
//! "Erasure"). Records of vaults made before keyrings (version 1, sealed
//! under a key derived from the vault key) are moved to data keys when
//! such a vault is first opened.

use super::keyring::DataKey;
use super::seal::FileSeal;
use super::{Vault, VaultError, SUBSCRIBERS};
use redb::{ReadableDatabase, ReadableTable};
use std::ops::Bound;
use zeroize::Zeroizing;

/// The version byte of a record sealed under a data key: the version, the
/// slot (u32, little-endian), then the data key's [`FileSeal`].
const RECORD_V2: u8 = 2;
/// The version byte of a record sealed under the vault's own file key.
const RECORD_V1: u8 = 1;
/// Records moved to data keys in one transaction; one in tests, so that
/// they cross batches.
#[cfg(not(test))]
const MIGRATE_BATCH: usize = 4096;
#[cfg(test)]
const MIGRATE_BATCH: usize = 1;

/// The keyring slot a record names; `None` for a version 1 record.
pub(super) fn slot_of(sealed: &[u8]) -> Result<Option<u32>, VaultError> {
	match sealed.first() {
		Some(&RECORD_V2) => {
			let slot =
				sealed.get(1..5).and_then(|s| s.try_into().ok()).ok_or(VaultError::Corrupt)?;
			Ok(Some(u32::from_le_bytes(slot)))
		},
		Some(&RECORD_V1) => Ok(None),
		_ => Err(VaultError::Corrupt),
	}
}

/// A version 1 record: its handle and its sealed bytes.
type Legacy = ([u8; 32], Vec<u8>);

impl Vault {
	/// `plain` sealed as the record `handle` under its data key.
	pub(super) fn seal_record(
		&self,
		handle: &[u8; 32],
		(slot, key): &DataKey,
		plain: &[u8],
	) -> Result<Vec<u8>, VaultError> {
		let body = FileSeal::new(key).seal(b"subscribers", handle, plain)?;
		Ok([&[RECORD_V2][..], &slot.to_le_bytes(), &body].concat())
	}

	/// The record `handle` opened. [`VaultError::KeyDestroyed`] when its
	/// data key is gone: it was erased after this copy of it was made.
	pub(super) fn open_record(
		&self,
		handle: &[u8; 32],
		sealed: &[u8],
	) -> Result<Zeroizing<Vec<u8>>, VaultError> {
		match slot_of(sealed)? {
			Some(slot) => {
				let key = self.keys.data_key(slot, handle)?;
				let body = sealed.get(5..).ok_or(VaultError::Corrupt)?;
				FileSeal::new(&key).open(b"subscribers", handle, body)
			},
			None => {
				let legacy = self.legacy.as_ref().ok_or(VaultError::Corrupt)?;
				legacy.open(b"subscribers", handle, sealed)
			},
		}
	}

	/// The data key of the record `handle`, to seal a new version of it.
	pub(super) fn key_of(&self, handle: &[u8; 32], sealed: &[u8]) -> Result<DataKey, VaultError> {
		let slot = slot_of(sealed)?.ok_or(VaultError::Corrupt)?;
		Ok((slot, self.keys.data_key(slot, handle)?))
	}

	/// Moves every version 1 record to a data key of its own; returns how
	/// many moved. Runs at open, before anything else reads the vault.
	pub(super) fn migrate(&self) -> Result<u64, VaultError> {
		let (mut moved, mut after) = (0u64, None);
		loop {
			let batch = self.legacy_batch(after)?;
			let Some((last, _)) = batch.last() else { return Ok(moved) };
			after = Some(*last);
			let handles: Vec<[u8; 32]> = batch.iter().map(|(handle, _)| *handle).collect();
			let keys = self.keys.allocate(&handles)?;
			let db = self.db();
			let txn = db.begin_write()?;
			{
				let mut records = txn.open_table(SUBSCRIBERS)?;
				for ((handle, sealed), key) in batch.iter().zip(&keys) {
					let plain = self.open_record(handle, sealed)?;
					let resealed = self.seal_record(handle, key, &plain)?;
					records.insert(handle.as_slice(), resealed.as_slice())?;
				}
			}
			txn.commit()?;
			self.keys.confirm(keys.iter().map(|(slot, _)| *slot))?;
			moved += batch.len() as u64;
			tracing::info!(moved, "vault records moved to data keys of their own");
		}
	}

	/// Up to [`MIGRATE_BATCH`] version 1 records with handles after
	/// `after` (from the first with `None`): each batch goes on where the
	/// last ended, so the move reads the table once.
	fn legacy_batch(&self, after: Option<[u8; 32]>) -> Result<Vec<Legacy>, VaultError> {
		let db = self.db();
		let txn = db.begin_read()?;
		let records = txn.open_table(SUBSCRIBERS)?;
		let mut batch = Vec::new();
		let entries = match &after {
			Some(last) => {
				records.range::<&[u8]>((Bound::Excluded(last.as_slice()), Bound::Unbounded))?
			},
			None => records.iter()?,
		};
		for entry in entries {
			let (handle, sealed) = entry?;
			if sealed.value().first() == Some(&RECORD_V1) {
				let handle =
					<[u8; 32]>::try_from(handle.value()).map_err(|_| VaultError::Corrupt)?;
				batch.push((handle, sealed.value().to_vec()));
				if batch.len() == MIGRATE_BATCH {
					break;
				}
			}
		}
		Ok(batch)
	}
}
