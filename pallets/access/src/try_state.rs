//! Invariants of the access policy, checked after every unit test and by
//! `try-runtime`.

use crate::{pallet::*, types::holds_at};
use frame_support::ensure;
use ims_primitives::Directory;
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	/// Every grant, authorisation and consent hangs from something that
	/// exists, and each list is well formed:
	/// - role grants: realm exists, list non-empty, strictly sorted by role
	///   (so one grant per role);
	/// - application servers: realm exists, host, purpose and services
	///   non-empty, services distinct, only known Sh data, something allowed;
	/// - consents: the subscription exists, list non-empty, purposes
	///   non-empty and distinct;
	/// - agents: no account is its own agent, no appointment lapses before
	///   it was made.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		for (principal, agent, appointment) in Agents::<T>::iter() {
			ensure!(principal != agent, "an account is its own agent");
			ensure!(
				holds_at(&appointment.expires_at, &appointment.since),
				"an appointment lapses before it was made"
			);
		}
		for (realm, _, grants) in Roles::<T>::iter() {
			ensure!(T::Directory::realm_owner(realm).is_some(), "a grant names an unknown realm");
			ensure!(!grants.is_empty(), "an empty grant list is stored");
			ensure!(
				grants.windows(2).all(|pair| matches!(pair, [a, b] if a.role < b.role)),
				"grants are not sorted by role, or a role is granted twice"
			);
		}
		for (realm, host, authorization) in ApplicationServers::<T>::iter() {
			ensure!(
				T::Directory::realm_owner(realm).is_some(),
				"an application server is authorised in an unknown realm"
			);
			ensure!(!host.is_empty(), "an application server has an empty host");
			ensure!(
				authorization.defect().is_none(),
				"an application server's authorisation is malformed"
			);
		}
		for (subscription, consents) in Consents::<T>::iter() {
			ensure!(
				T::Directory::subscription_of(subscription)
					.is_some_and(|(_, found)| found == subscription),
				"a consent names an unknown subscription"
			);
			ensure!(!consents.is_empty(), "an empty consent list is stored");
			ensure!(
				consents.iter().enumerate().all(|(index, consent)| !consent.purpose.is_empty()
					&& !consents.iter().skip(index + 1).any(|c| c.purpose == consent.purpose)),
				"a consent purpose is empty or recorded twice"
			);
		}
		Ok(())
	}
}
