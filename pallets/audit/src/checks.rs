//! What a front may record: the checks `submit` makes of each new record
//! (`pallets/audit/README.md`, "What a front may record"). The `submit`
//! benchmark makes every record look a subscriber up, so its weight
//! covers them.

use crate::pallet::*;
use alloc::collections::BTreeSet;
use frame_support::{
	ensure,
	traits::{Get, UnixTime},
};
use ims_primitives::{
	audit::{Activity, FrontRecord},
	Directory, Pseudonym, RealmId, Subject,
};

impl<T: Config> Pallet<T> {
	/// Checks the records a batch adds to `realm`'s trail for `front`;
	/// returns the latest record time, to keep as the front's. Each
	/// distinct subscriber is looked up once, in the one map its kind
	/// names.
	pub(crate) fn check_records(
		front: &T::AccountId,
		realm: RealmId,
		records: &[FrontRecord<T::AccountId>],
	) -> Result<u64, Error<T>> {
		let step = T::RecordTimeStep::get().max(1);
		let now = u64::try_from(T::Time::now().as_millis()).unwrap_or(u64::MAX);
		let latest = now.saturating_add(T::MaxClockSkew::get());
		let mut last_time = LastRecordTime::<T>::get(front).unwrap_or(0);
		let mut members: BTreeSet<(u8, Pseudonym)> = BTreeSet::new();
		for record in records {
			ensure!(!matches!(record.activity, Activity::Change(_)), Error::<T>::ChainOnlyActivity);
			if let Some(member) = member_key(&record.subject) {
				if members.insert(member) {
					let realm_of = T::Directory::realm_of(&record.subject);
					ensure!(realm_of == Some(realm), Error::<T>::SubjectNotInRealm);
				}
			} else {
				ensure!(may_name(&record.subject, &record.activity), Error::<T>::NotASubscriber);
			}
			ensure!(record.at_ms % step == 0, Error::<T>::TimeNotOnStep);
			ensure!(record.at_ms <= latest, Error::<T>::TimeInFuture);
			ensure!(record.at_ms >= last_time, Error::<T>::TimeBeforePrevious);
			last_time = record.at_ms;
		}
		Ok(last_time)
	}
}

/// A subscriber subject's kind and pseudonym: what the directory looks up
/// (a consent is its subscription's). `None` for other subjects.
fn member_key<AccountId>(subject: &Subject<AccountId>) -> Option<(u8, Pseudonym)> {
	match subject {
		Subject::Subscription(id) | Subject::Consent(id, _) => Some((0, *id)),
		Subject::Impi(id) => Some((1, *id)),
		Subject::Impu(id) => Some((2, *id)),
		_ => None,
	}
}

/// Whether a front may record `subject`, not a subscriber: an unknown
/// identity always, a peer only when recording its refusal (a request
/// that named nobody, from a peer outside its role), the realm itself
/// only for a provisioning API request that named no subscriber.
fn may_name<AccountId>(subject: &Subject<AccountId>, activity: &Activity) -> bool {
	match subject {
		Subject::Unknown(_) => true,
		Subject::Peer(_) => matches!(activity, Activity::AccessDenied(_)),
		Subject::Realm => matches!(activity, Activity::Api { .. }),
		_ => false,
	}
}
