//! Erasure: a subscription's record and look-ups removed, then its data
//! key destroyed in the keyring, then the file compacted
//! (`docs/vault.md`, "Erasure"). The key's destruction is what makes
//! erasure hold for copies of the file made before it.

use super::open::SHREDDING;
use super::{batch, locked, sealed, Vault, VaultError, LOOKUP, SUBSCRIBERS};

impl Vault {
	/// Destroys a subscription: its record (salt and secrets), its look-up
	/// keys and its data key, then compacts the file. Returns whether it
	/// existed.
	pub fn erase(&self, handle: &[u8; 32]) -> Result<bool, VaultError> {
		Ok(self.erase_all(std::slice::from_ref(handle))? > 0)
	}

	/// Destroys subscriptions in one transaction (with any import marks
	/// they hold, `batch.rs`), then their data keys, then compacts the file
	/// once. Returns how many existed.
	///
	/// The transaction notes each data key to destroy (`SHREDDING`), so
	/// that a crash before the keyring is written leaves the work to the
	/// next open, never a key without its record nor a record whose key
	/// another copy could still open.
	pub fn erase_all(&self, handles: &[[u8; 32]]) -> Result<usize, VaultError> {
		let slots = self.remove_records(handles)?;
		if slots.is_empty() {
			return Ok(0);
		}
		self.finish_shredding()?;
		let mut db = self.db.write().unwrap_or_else(|p| p.into_inner());
		db.compact()?;
		Ok(slots.len())
	}

	/// Removes the records and look-ups of `handles` and notes their data
	/// keys for destruction, in one transaction; returns the keys' slots.
	pub(super) fn remove_records(&self, handles: &[[u8; 32]]) -> Result<Vec<u32>, VaultError> {
		// Lock order: leases, then the database (as in `next_aka`).
		let mut leases = locked(&self.leases);
		let db = self.db();
		let txn = db.begin_write()?;
		let mut changed = Vec::new();
		let mut slots = Vec::new();
		{
			let mut records = txn.open_table(SUBSCRIBERS)?;
			let mut lookup = txn.open_table(LOOKUP)?;
			let mut pending = txn.open_table(batch::PENDING)?;
			let mut shredding = txn.open_table(SHREDDING)?;
			for handle in handles {
				pending.remove(handle.as_slice())?;
				let Some(sealed) = records.remove(handle.as_slice())?.map(|s| s.value().to_vec())
				else {
					continue;
				};
				let old = self.decode(handle, &sealed)?;
				let slot = sealed::slot_of(&sealed)?.ok_or(VaultError::Corrupt)?;
				shredding.insert(handle.as_slice(), slot)?;
				slots.push(slot);
				let mut keys = Vec::new();
				for (kind, name) in old.lookup_names() {
					let key = self.lookup_key(kind, name);
					lookup.remove(key.as_slice())?;
					leases.remove(&key);
					keys.push(key);
				}
				changed.push((*handle, keys));
			}
		}
		txn.commit()?;
		for (handle, keys) in &changed {
			self.forget(keys, handle);
		}
		Ok(slots)
	}
}
