//! What the calls and hooks do, the `AuditSink` the other pallets report
//! through, and the lookups behind the runtime API.

use crate::{pallet::*, WeightInfo};
use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::{
	dispatch::{DispatchClass, DispatchResultWithPostInfo, Pays, PostDispatchInfo},
	ensure,
	traits::{Get, UnixTime},
	weights::Weight,
};
use ims_primitives::{
	audit::{
		chain_next, leaf_hash, merkle_root, offchain_batch_key, Activity, Actor, BatchCommitment,
		Entry, IndexedBatch, Source, Trail, RESULT_REFUSED, RESULT_SUCCESS,
	},
	AuditSink, Authorizer, Change, Directory, Permission, RealmId, Subject,
};

impl<T: Config> Pallet<T> {
	/// `submit`: checks, skips what was recorded before, seals the rest.
	pub(crate) fn do_submit(
		who: T::AccountId,
		realm: RealmId,
		first_sequence: u64,
		records: FrontBatchOf<T>,
	) -> DispatchResultWithPostInfo {
		ensure!(!records.is_empty(), Error::<T>::EmptyBatch);
		ensure!(T::Directory::realm_owner(realm).is_some(), Error::<T>::RealmNotFound);
		ensure!(
			T::Authorizer::is_authorized(&who, realm, Permission::SubmitAudit),
			Error::<T>::NotAuthorized
		);
		let count = u64::try_from(records.len()).map_err(|_| Error::<T>::SequenceOverflow)?;
		let end = first_sequence.checked_add(count).ok_or(Error::<T>::SequenceOverflow)?;
		let next = NextSequence::<T>::get(&who);
		ensure!(first_sequence <= next, Error::<T>::SequenceGap);

		// Records below `next` were recorded by an earlier batch.
		let skipped = next.saturating_sub(first_sequence).min(count);
		if skipped > 0 {
			Self::deposit_event(Event::Replayed {
				submitter: who.clone(),
				first_sequence,
				count: u32::try_from(skipped).unwrap_or(u32::MAX),
			});
		}
		// Nothing new, yet paid for: a leaked front key must not buy
		// feeless blockspace by replaying what was recorded.
		if skipped == count {
			return Ok(PostDispatchInfo {
				actual_weight: Some(T::WeightInfo::submit(0)),
				pays_fee: Pays::Yes,
			});
		}
		// Only the new records are checked: those recorded before passed
		// then, and a replay must not fail on what changed since (a
		// subscriber erased in between).
		let new = records.get(usize::try_from(skipped).unwrap_or(usize::MAX)..).unwrap_or(&[]);
		let last_time = Self::check_records(&who, realm, new)?;
		let entries: Vec<EntryOf<T>> =
			new.iter().cloned().map(|record| record.into_entry()).collect();
		let recorded = u32::try_from(entries.len()).unwrap_or(u32::MAX);
		NextSequence::<T>::insert(&who, end);
		LastRecordTime::<T>::insert(&who, last_time);
		Self::seal(realm, Source::Front { submitter: who, first_sequence: next }, entries);
		Ok(Some(T::WeightInfo::submit(recorded)).into())
	}

	/// Adds one batch to `realm`'s trail: commitment and chain head in
	/// state, the records in the node's offchain index and in the event.
	pub(crate) fn seal(realm: RealmId, source: Source<T::AccountId>, entries: Vec<EntryOf<T>>) {
		let trail = Trails::<T>::get(realm).unwrap_or_default();
		let batch = trail.batches;
		let leaves = entries
			.iter()
			.enumerate()
			.map(|(position, entry)| {
				let position = u32::try_from(position).unwrap_or(u32::MAX);
				leaf_hash(realm, batch, position, &source, entry)
			})
			.collect();
		let root = merkle_root(leaves);
		let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
		let block = frame_system::Pallet::<T>::block_number();
		let head = chain_next(&trail.head, realm, batch, &root, count, &block);
		let commitment = BatchCommitment { block, count, root, head };

		Batches::<T>::insert(realm, batch, commitment);
		Trails::<T>::insert(
			realm,
			Trail {
				batches: batch.saturating_add(1),
				records: trail.records.saturating_add(count.into()),
				head,
			},
		);
		let indexed =
			IndexedBatch { realm, batch, previous_head: trail.head, source, commitment, entries };
		sp_io::offchain_index::set(&offchain_batch_key(&head), &indexed.encode());
		let IndexedBatch { source, entries: records, .. } = indexed;
		Self::deposit_event(Event::Recorded { realm, batch, source, root, head, records });
	}

	/// Seals the changes reported so far: one batch per realm, in realm
	/// order, each keeping the order the changes were made in.
	pub(crate) fn seal_pending() {
		let pending = Pending::<T>::take();
		PendingCount::<T>::kill();
		if pending.is_empty() {
			return;
		}
		let mut by_realm: BTreeMap<RealmId, Vec<EntryOf<T>>> = BTreeMap::new();
		for (realm, entry) in pending {
			by_realm.entry(realm).or_default().push(entry);
		}
		for (realm, entries) in by_realm {
			Self::seal(realm, Source::Chain, entries);
		}
	}

	/// Every realm's trail.
	pub fn trails() -> Vec<(RealmId, Trail)> {
		Trails::<T>::iter().collect()
	}

	/// Batch `batch` of `realm`.
	pub fn batch(realm: RealmId, batch: u64) -> Option<CommitmentOf<T>> {
		Batches::<T>::get(realm, batch)
	}

	/// The sequence number `submitter` must use next.
	pub fn next_sequence(submitter: T::AccountId) -> u64 {
		NextSequence::<T>::get(submitter)
	}
}

/// The other pallets' changes join the trail: buffered in the block, sealed
/// at its end. Buffering runs inside the reporting call, so that call's
/// benchmark measures it; each report registers with the block only its
/// share of the sealing (the `seal_changes` benchmark), which runs in
/// `on_finalize`, outside any call (`pallets/audit/README.md`, "Changes of
/// the other pallets").
impl<T: Config> AuditSink<T::AccountId> for Pallet<T> {
	fn record(
		actor: Option<&T::AccountId>,
		realm: RealmId,
		subject: Subject<T::AccountId>,
		change: Change,
	) {
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			Self::changes_weight(1),
			DispatchClass::Normal,
		);
		Self::buffer_change(actor, realm, subject, change);
	}

	fn record_all(
		actor: Option<&T::AccountId>,
		realm: RealmId,
		changes: Vec<(Subject<T::AccountId>, Change)>,
	) {
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			Self::changes_weight(changes.len() as u32),
			DispatchClass::Normal,
		);
		for (subject, change) in changes {
			Self::buffer_change(actor, realm, subject, change);
		}
	}

	fn record_all_weight(changes: u32) -> Weight {
		Self::changes_weight(changes)
	}
}

impl<T: Config> Pallet<T> {
	/// The sealing weight of `n` changes reported together: `seal_changes`
	/// for each bufferful, since a full buffer is sealed on the spot.
	pub fn changes_weight(n: u32) -> Weight {
		let full = T::MaxPendingChanges::get().max(1);
		let rest = n % full;
		T::WeightInfo::seal_changes(full).saturating_mul(u64::from(n / full)).saturating_add(
			if rest > 0 { T::WeightInfo::seal_changes(rest) } else { Weight::zero() },
		)
	}

	fn buffer_change(
		actor: Option<&T::AccountId>,
		realm: RealmId,
		subject: Subject<T::AccountId>,
		change: Change,
	) {
		let entry = Entry {
			subject,
			actor: actor.map_or(Actor::Governance, |who| Actor::Account(who.clone())),
			activity: Activity::Change(change),
			result: match change {
				Change::Denied { .. } => RESULT_REFUSED,
				_ => RESULT_SUCCESS,
			},
			at_ms: u64::try_from(T::Time::now().as_millis()).unwrap_or(u64::MAX),
		};
		if PendingCount::<T>::get() >= T::MaxPendingChanges::get() {
			// The buffer is full: seal it now rather than drop the change.
			Self::seal_pending();
		}
		// `try_append` would read the whole buffer back to learn its length,
		// a copy per change that made a block of thousands of changes cost
		// quadratic time; the count bounds it instead.
		sp_io::storage::append(&Pending::<T>::hashed_key(), (realm, &entry).encode());
		PendingCount::<T>::mutate(|count| *count = count.saturating_add(1));
	}
}
