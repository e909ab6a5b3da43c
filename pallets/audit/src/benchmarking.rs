//! Benchmarks of the submission of a batch (by its size) and of the sealing
//! of the changes other pallets reported, each in its worst case: records of
//! the largest encoding and a trail that already has batches.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing,
	reason = "benchmark set-up: a step that fails fails the benchmark"
)]

use super::*;
use crate::pallet::*;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{Get, Hooks, UnixTime};
use frame_system::RawOrigin;
use ims_primitives::{
	audit::{Activity, FrontRecord, Peer, Source},
	limits::*,
	AuditSink, Change, Name, Pseudonym, RealmId, ShData, Subject,
};
use sp_core::H256;

/// Makes what the benchmarks act on, in whatever pallets the runtime keeps
/// it.
pub trait BenchmarkHelper<AccountId> {
	/// A realm and an account allowed to submit audit records in it.
	fn front() -> (RealmId, AccountId);
	/// Subscriber number `index` of `realm`, made for the benchmark: its
	/// IMPI's pseudonym.
	fn subscriber(realm: RealmId, index: u32) -> Pseudonym;
}

/// A front's record of the largest encoding, about `subject`, at the
/// block's time.
fn front_record<T: Config>(subject: Subject<T::AccountId>) -> FrontRecord<T::AccountId> {
	let peer = vec![b'p'; MAX_TOKEN_LEN as usize].try_into().expect("MAX_TOKEN_LEN bytes; qed");
	let now = u64::try_from(T::Time::now().as_millis()).unwrap_or(u64::MAX);
	FrontRecord {
		subject,
		peer: Peer::Diameter(peer),
		activity: Activity::ShUpdate(ShData::RepositoryData),
		result: 5_001,
		at_ms: now - now % T::RecordTimeStep::get(),
	}
}

/// Gives `realm`'s trail a first batch, so the benchmarks extend a chain,
/// and seals the changes the set-up (or the genesis) reported, so the
/// measured block starts with none pending.
fn start_trail<T: Config>(realm: RealmId) {
	Pallet::<T>::seal_pending();
	let unknown = Subject::Unknown(H256::repeat_byte(0xee));
	Pallet::<T>::seal(realm, Source::Chain, vec![front_record::<T>(unknown).into_entry()]);
}

/// The number of records in `realm`'s latest batch.
fn last_batch_size<T: Config>(realm: RealmId) -> Option<u32> {
	let last = Trails::<T>::get(realm)?.batches.checked_sub(1)?;
	Batches::<T>::get(realm, last).map(|batch| batch.count)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `n` records, each about a subscriber of its own (each looked up in
	/// the directory), after a record of the front's (its last time read).
	#[benchmark]
	fn submit(n: Linear<1, { T::MaxBatchSize::get() }>) {
		let (realm, front) = T::BenchmarkHelper::front();
		start_trail::<T>(realm);
		LastRecordTime::<T>::insert(&front, 0);
		let records: Vec<_> = (0..n)
			.map(|i| front_record::<T>(Subject::Impi(T::BenchmarkHelper::subscriber(realm, i))))
			.collect();
		let records: FrontBatchOf<T> = records.try_into().expect("n <= MaxBatchSize; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(front.clone()), realm, 0, records);

		assert_eq!(NextSequence::<T>::get(&front), u64::from(n));
		assert_eq!(last_batch_size::<T>(realm), Some(n));
	}

	/// `n` changes of one realm, buffered as the calls that report them
	/// buffer them (that cost is in each call's own benchmark), sealed at
	/// the end of the block in one batch: what a report registers with the
	/// block. A full buffer is sealed on the spot, so `n` goes up to the
	/// buffer's size; a change reported alone is `n = 1`, a batch of its
	/// own.
	#[benchmark]
	fn seal_changes(n: Linear<1, { T::MaxPendingChanges::get() }>) {
		let (realm, _) = T::BenchmarkHelper::front();
		start_trail::<T>(realm);
		let actor: T::AccountId = account("actor", 0, 0);
		let peer: Name = vec![b'h'; MAX_NAME_LEN as usize].try_into().expect("MAX_NAME_LEN; qed");
		let changes: Vec<_> =
			(0..n).map(|_| (Subject::Peer(peer.clone()), Change::Updated)).collect();
		<Pallet<T> as AuditSink<T::AccountId>>::record_all(Some(&actor), realm, changes);
		assert_eq!(PendingCount::<T>::get(), n);

		#[block]
		{
			Pallet::<T>::on_finalize(frame_system::Pallet::<T>::block_number());
		}

		assert_eq!(Pending::<T>::decode_len().unwrap_or(0), 0);
		assert_eq!(PendingCount::<T>::get(), 0);
		assert_eq!(last_batch_size::<T>(realm), Some(n));
	}

	impl_benchmark_test_suite!(Pallet, mock::new_test_ext(), mock::Test);
}
