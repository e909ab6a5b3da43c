//! Subscriptions written in bulk, and the marks that say which of them the
//! chain may not hold yet (`ims-bridge import`, `docs/import.md`).
//!
//! An import writes a batch of new subscriptions in one transaction, each
//! marked pending with the number of the block its chain transaction was
//! built at. The mark goes once the chain's finalized state holds the
//! subscription (or the entry is erased because the chain refused it), so
//! a crash between the two stores leaves marks that the next import
//! settles first: it never has to scan the vault.

use super::keyring::DataKey;
use super::{locked, Subscriber, Vault, VaultError, LOOKUP, SUBSCRIBERS};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

/// Handles of subscriptions written by an import that the chain may not
/// hold yet, with the block their transaction was last built at.
pub(super) const PENDING: TableDefinition<&[u8], u64> = TableDefinition::new("import-pending");

/// A subscription written: its handle and the look-up keys written.
type Written = ([u8; 32], Vec<[u8; 32]>);

impl Vault {
	/// Stores new subscriptions in one transaction, each marked pending at
	/// `block`. Nothing is written if any of them has an identity (or a
	/// handle) the vault already holds: the error names it.
	pub fn put_new(
		&self,
		subscribers: &[Subscriber],
		block: u64,
	) -> Result<Vec<[u8; 32]>, VaultError> {
		// Lock order: leases, then the database (as in `next_aka`). New
		// subscriptions have no leases; the lock keeps the order.
		let _leases = locked(&self.leases);
		let handles: Vec<[u8; 32]> = subscribers.iter().map(Subscriber::handle).collect();
		let keys = self.keys.allocate(&handles)?;
		let slots = || keys.iter().map(|(slot, _)| *slot);
		let outcome = self.write_new(subscribers, &keys, block);
		let written = match outcome {
			Ok(written) => written,
			Err(e) => {
				// No record names these keys: they go at once.
				let unused: Vec<(u32, [u8; 32])> = slots().zip(handles).collect();
				self.keys.destroy(&unused)?;
				return Err(e);
			},
		};
		self.keys.confirm(slots())?;
		for (handle, changed) in &written {
			self.forget(changed, handle);
		}
		Ok(written.into_iter().map(|(handle, _)| handle).collect())
	}

	/// Writes new subscriptions sealed under `keys` and their marks in
	/// one transaction; returns each handle with the look-up keys written.
	fn write_new(
		&self,
		subscribers: &[Subscriber],
		keys: &[DataKey],
		block: u64,
	) -> Result<Vec<Written>, VaultError> {
		let db = self.db();
		let txn = db.begin_write()?;
		let mut written = Vec::with_capacity(subscribers.len());
		{
			let mut records = txn.open_table(SUBSCRIBERS)?;
			let mut lookup = txn.open_table(LOOKUP)?;
			let mut pending = txn.open_table(PENDING)?;
			for (subscriber, key) in subscribers.iter().zip(keys) {
				let handle = subscriber.handle();
				if records.get(handle.as_slice())?.is_some() {
					return Err(VaultError::IdentityTaken(subscriber.subscription.clone()));
				}
				let mut changed = Vec::new();
				self.insert(&mut records, &mut lookup, subscriber, key, &mut changed)?;
				pending.insert(handle.as_slice(), block)?;
				written.push((handle, changed));
			}
		}
		txn.commit()?;
		Ok(written)
	}

	/// Every pending mark: handles and the block their transaction was
	/// last built at.
	pub fn pending(&self) -> Result<Vec<([u8; 32], u64)>, VaultError> {
		let db = self.db();
		let txn = db.begin_read()?;
		let table = txn.open_table(PENDING)?;
		let mut out = Vec::new();
		for entry in table.iter()? {
			let (handle, block) = entry?;
			let handle = <[u8; 32]>::try_from(handle.value()).map_err(|_| VaultError::Corrupt)?;
			out.push((handle, block.value()));
		}
		Ok(out)
	}

	/// Whether `handle` is marked pending.
	pub fn is_pending(&self, handle: &[u8; 32]) -> Result<bool, VaultError> {
		let db = self.db();
		let txn = db.begin_read()?;
		let table = txn.open_table(PENDING)?;
		Ok(table.get(handle.as_slice())?.is_some())
	}

	/// Marks `handles` pending at `block` again: their transaction is about
	/// to be built anew.
	pub fn mark_pending(&self, handles: &[[u8; 32]], block: u64) -> Result<(), VaultError> {
		self.with_pending(|pending| {
			for handle in handles {
				pending.insert(handle.as_slice(), block)?;
			}
			Ok(())
		})
	}

	/// Removes the marks of `handles`: the chain's finalized state holds
	/// them.
	pub fn settle(&self, handles: &[[u8; 32]]) -> Result<(), VaultError> {
		self.with_pending(|pending| {
			for handle in handles {
				pending.remove(handle.as_slice())?;
			}
			Ok(())
		})
	}

	fn with_pending(
		&self,
		change: impl FnOnce(&mut redb::Table<&[u8], u64>) -> Result<(), VaultError>,
	) -> Result<(), VaultError> {
		let db = self.db();
		let txn = db.begin_write()?;
		{
			let mut pending = txn.open_table(PENDING)?;
			change(&mut pending)?;
		}
		txn.commit()?;
		Ok(())
	}
}
