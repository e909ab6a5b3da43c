//! Sequence numbers of AKA vectors: reserved in blocks of [`SQN_BLOCK`],
//! each reservation committed before any SQN of it is handed out, so that
//! an SQN is never reused after a crash (a few are skipped, which USIMs
//! accept). See `docs/vault.md`.

use super::record::AkaSecret;
use super::{locked, Vault, VaultError, SUBSCRIBERS};
use crate::auth::{next_sqn, AkaKeys, SQN_MAX, SQN_STEP};
use crate::pseudonym::Kind;
use codec::Encode;
use redb::ReadableTable;
use zeroize::Zeroizing;

/// Vectors reserved per committed SQN reservation.
pub const SQN_BLOCK: u64 = 64;

/// The SQNs handed out from the current reservation of one IMPI: counters
/// only. Each vector reads the keys afresh (the read cache keeps them
/// sealed), so that K and OPc are in the clear only while a vector is
/// computed, never for the life of a reservation. Any change to the
/// subscriber drops the lease.
#[derive(Debug)]
pub(super) struct Lease {
	next: u64,
	limit: u64,
}

impl Vault {
	/// The AKA keys of an IMPI and a fresh SQN for its next vector. The SQN
	/// is covered by a committed reservation before it is returned.
	pub fn next_aka(&self, impi: &str) -> Result<Option<(AkaKeys, u64)>, VaultError> {
		let key = self.lookup_key(Kind::Impi, impi);
		// Read before the lease is taken: a change that lands in between
		// drops the lease, and the reservation below reads the keys again.
		let Some(keys) = self.next_aka_keys(impi)? else { return Ok(None) };
		let mut leases = locked(&self.leases);
		if let Some(lease) = leases.get_mut(&key) {
			if lease.next <= lease.limit {
				let sqn = lease.next;
				lease.next = next_sqn(sqn).unwrap_or(SQN_MAX.saturating_add(1));
				return Ok(Some((keys, sqn)));
			}
		}
		drop(keys);
		let Some(handle) = self.handle_of(Kind::Impi, impi)? else { return Ok(None) };
		// Reserve the next block and commit it before handing out any of it.
		let (keys, first, limit) = self.update_aka(&handle, impi, |aka| {
			let first = next_sqn(aka.sqn).ok_or(VaultError::SqnExhausted)?;
			let limit = first.saturating_add(SQN_STEP * (SQN_BLOCK - 1)).min(SQN_MAX);
			aka.sqn = limit;
			Ok((first, limit))
		})?;
		let next = next_sqn(first).unwrap_or(SQN_MAX.saturating_add(1));
		leases.insert(key, Lease { next, limit });
		Ok(Some((keys, first)))
	}

	/// The AKA keys of an IMPI, without reserving a sequence number (to
	/// check a resynchronisation).
	pub fn next_aka_keys(&self, impi: &str) -> Result<Option<AkaKeys>, VaultError> {
		let Some(subscriber) = self.find(Kind::Impi, impi)? else { return Ok(None) };
		let aka =
			subscriber.impi(impi).and_then(|i| i.aka.as_ref()).ok_or(VaultError::NoAkaKeys)?;
		Ok(Some(aka.keys()))
	}

	/// Records a resynchronisation: the USIM has seen `sqn_ms`, so the next
	/// vector uses a later SQN. Never moves SQN backwards.
	pub fn resync(&self, impi: &str, sqn_ms: u64) -> Result<bool, VaultError> {
		let key = self.lookup_key(Kind::Impi, impi);
		let mut leases = locked(&self.leases);
		let Some(handle) = self.handle_of(Kind::Impi, impi)? else { return Ok(false) };
		self.update_aka(&handle, impi, |aka| {
			// Vectors already handed out from a reservation stay below its
			// limit, which stays the floor: SQN only moves forward.
			aka.sqn = aka.sqn.max(sqn_ms);
			Ok((0, 0))
		})?;
		leases.remove(&key);
		Ok(true)
	}

	/// Changes the AKA secret of `impi` in the record `handle` and commits
	/// it; returns the keys and what `change` returned.
	fn update_aka(
		&self,
		handle: &[u8; 32],
		impi: &str,
		change: impl FnOnce(&mut AkaSecret) -> Result<(u64, u64), VaultError>,
	) -> Result<(AkaKeys, u64, u64), VaultError> {
		let db = self.db();
		let txn = db.begin_write()?;
		let outcome = {
			let mut records = txn.open_table(SUBSCRIBERS)?;
			let sealed = records.get(handle.as_slice())?.map(|s| s.value().to_vec());
			let sealed = sealed.ok_or(VaultError::Corrupt)?;
			let mut subscriber = self.decode(handle, &sealed)?;
			let aka = subscriber
				.impis
				.iter_mut()
				.find(|i| i.identity == impi)
				.and_then(|i| i.aka.as_mut())
				.ok_or(VaultError::NoAkaKeys)?;
			let (a, b) = change(aka)?;
			let keys = aka.keys();
			let plain = Zeroizing::new(subscriber.encode());
			let sealed = self.seal_record(handle, &self.key_of(handle, &sealed)?, &plain)?;
			records.insert(handle.as_slice(), sealed.as_slice())?;
			(keys, a, b)
		};
		txn.commit()?;
		self.forget(&[], handle);
		Ok(outcome)
	}
}
