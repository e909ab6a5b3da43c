//! The glue traits the other pallets ask through (`Directory`), and the
//! scope of a call for the access pallet's refusal reports.

use super::*;

/// What the access pallet needs to know of the subscriber model.
impl<T: Config> Directory<T::AccountId> for Pallet<T> {
	fn realm_owner(realm: RealmId) -> Option<T::AccountId> {
		Realms::<T>::get(realm).map(|info| info.owner)
	}

	fn subscription_of(subscriber: Pseudonym) -> Option<(RealmId, SubscriptionId)> {
		if let Some(record) = Subscriptions::<T>::get(subscriber) {
			return Some((record.realm, subscriber));
		}
		if let Some(record) = Impus::<T>::get(subscriber) {
			return Some((record.realm, record.subscription));
		}
		Impis::<T>::get(subscriber).map(|record| (record.realm, record.subscription))
	}

	fn realm_of(subject: &Subject<T::AccountId>) -> Option<RealmId> {
		match subject {
			Subject::Subscription(id) | Subject::Consent(id, _) => {
				Subscriptions::<T>::get(id).map(|record| record.realm)
			},
			Subject::Impi(id) => Impis::<T>::get(id).map(|record| record.realm),
			Subject::Impu(id) => Impus::<T>::get(id).map(|record| record.realm),
			_ => None,
		}
	}
}

impl<T: Config> Call<T> {
	/// What the call acts on, so that a refusal can be reported in the right
	/// realm: the realm it names, or the subscriber pseudonym it names first
	/// (for `import` and `record_registrations`, that of the first item).
	/// `None` for governance-only calls, which no signed account can be
	/// refused for lack of a role.
	pub fn scope(&self) -> Option<CallScope> {
		use CallScope::{Realm, Subscriber};
		Some(match self {
			Call::set_realm_owner { realm, .. }
			| Call::create_subscription { realm, .. }
			| Call::put_application_server { realm, .. }
			| Call::remove_application_server { realm, .. }
			| Call::put_charging_information { realm, .. }
			| Call::remove_charging_information { realm, .. }
			| Call::put_ifc_set { realm, .. }
			| Call::remove_ifc_set { realm, .. }
			| Call::put_service_profile { realm, .. }
			| Call::remove_service_profile { realm, .. }
			| Call::import_subscribers { realm, .. } => Realm(*realm),
			Call::remove_subscription { subscription }
			| Call::create_impi { subscription, .. }
			| Call::create_impu { subscription, .. } => Subscriber(*subscription),
			Call::update_impi { impi, .. }
			| Call::rotate_credentials { impi }
			| Call::remove_impi { impi }
			| Call::link { impi, .. }
			| Call::unlink { impi, .. } => Subscriber(*impi),
			Call::update_impu { impu, .. }
			| Call::set_barring { impu, .. }
			| Call::set_service_profile { impu, .. }
			| Call::set_roaming { impu, .. }
			| Call::set_implicit_set { impu, .. }
			| Call::set_implicit_default { impu }
			| Call::remove_impu { impu } => Subscriber(*impu),
			Call::import { items } => match items.first()? {
				ImportItem::Subscription { realm, .. } => Realm(*realm),
				ImportItem::Impi { subscription, .. } | ImportItem::Impu { subscription, .. } => {
					Subscriber(*subscription)
				},
				ImportItem::Link { impi, .. } => Subscriber(*impi),
			},
			Call::record_registrations { updates, .. } => Subscriber(updates.first()?.impu),
			_ => return None,
		})
	}
}
