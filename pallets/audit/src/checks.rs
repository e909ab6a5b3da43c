//! What a front may record: the checks `submit` makes of each new record,
//! and their weight (`pallets/audit/README.md`, "What a front may record").

use crate::{pallet::*, WeightInfo};
use alloc::collections::BTreeSet;
use frame_support::{
	ensure,
	traits::{Get, UnixTime},
	weights::Weight,
};
use ims_primitives::{
	audit::{subscriber_of, Activity, FrontRecord},
	Directory, Pseudonym, RealmId, Subject,
};

/// What the checks of a batch's new records found. Each distinct
/// subscriber is looked up once.
pub(crate) struct Checked {
	/// The latest record time, to keep as the front's.
	pub last_time: u64,
}

impl<T: Config> Pallet<T> {
	/// Checks the records a batch adds to `realm`'s trail for `front`.
	pub(crate) fn check_records(
		front: &T::AccountId,
		realm: RealmId,
		records: &[FrontRecord<T::AccountId>],
	) -> Result<Checked, Error<T>> {
		let step = T::RecordTimeStep::get().max(1);
		let now = u64::try_from(T::Time::now().as_millis()).unwrap_or(u64::MAX);
		let latest = now.saturating_add(T::MaxClockSkew::get());
		let mut last_time = LastRecordTime::<T>::get(front).unwrap_or(0);
		let mut members: BTreeSet<Pseudonym> = BTreeSet::new();
		for record in records {
			ensure!(!matches!(record.activity, Activity::Change(_)), Error::<T>::ChainOnlyActivity);
			if let Some(subscriber) = subscriber_of(&record.subject) {
				if !members.contains(&subscriber) {
					let of_realm = T::Directory::subscription_of(subscriber)
						.is_some_and(|(owner, _)| owner == realm);
					ensure!(of_realm, Error::<T>::SubjectNotInRealm);
					members.insert(subscriber);
				}
			} else {
				ensure!(may_name(&record.subject, &record.activity), Error::<T>::NotASubscriber);
			}
			ensure!(record.at_ms % step == 0, Error::<T>::TimeNotOnStep);
			ensure!(record.at_ms <= latest, Error::<T>::TimeInFuture);
			ensure!(record.at_ms >= last_time, Error::<T>::TimeBeforePrevious);
			last_time = record.at_ms;
		}
		Ok(Checked { last_time })
	}

	/// What `submit` of `n` new records may weigh. The weights in
	/// `weights.rs` were measured before the checks: until they are
	/// generated again from the `submit` benchmark (which now records
	/// about `n` distinct subscribers of the realm), the look-ups and the
	/// front's last record time are added here as database reads.
	pub fn submit_weight(n: u32) -> Weight {
		T::WeightInfo::submit(n)
			.saturating_add(T::Directory::subscription_of_weight().saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
}

/// Whether a front may record `subject`, not a subscriber: an unknown
/// identity always, a peer only when recording its refusal (a request
/// that named nobody, from a peer outside its role).
fn may_name<AccountId>(subject: &Subject<AccountId>, activity: &Activity) -> bool {
	match subject {
		Subject::Unknown(_) => true,
		Subject::Peer(_) => matches!(activity, Activity::AccessDenied(_)),
		_ => false,
	}
}
