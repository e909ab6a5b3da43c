//! Subscriptions: creation and erasure with everything that hangs from them.

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_subscription(
		actor: Actor<T>,
		realm: RealmId,
		subscription: SubscriptionId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::Provision)?;
		Self::ensure_new_subscription(subscription)?;
		Self::count_subscriptions(realm, 1)?;
		Subscriptions::<T>::insert(subscription, Self::empty_subscription(realm));
		Self::deposit_event(Event::SubscriptionCreated { realm, subscription });
		T::AuditSink::record(actor, realm, Subject::Subscription(subscription), Change::Created);
		Ok(())
	}

	pub(super) fn ensure_new_subscription(subscription: SubscriptionId) -> DispatchResult {
		ensure!(
			!Subscriptions::<T>::contains_key(subscription),
			Error::<T>::SubscriptionAlreadyExists
		);
		Ok(())
	}

	pub(super) fn empty_subscription(realm: RealmId) -> SubscriptionOf<T> {
		Subscription { realm, impis: Default::default(), impus: Default::default() }
	}

	/// Count `new` more subscriptions in `realm`.
	pub(super) fn count_subscriptions(realm: RealmId, new: u32) -> DispatchResult {
		Realms::<T>::try_mutate(realm, |info| {
			let info = info.as_mut().ok_or(Error::<T>::RealmNotFound)?;
			info.subscriptions = info.subscriptions.checked_add(new).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})
	}

	/// Erase a subscription; returns the weight used, including what the
	/// `Observer` removed with it.
	pub(crate) fn do_remove_subscription(
		actor: Actor<T>,
		subscription: SubscriptionId,
	) -> Result<Weight, DispatchError> {
		let record =
			Subscriptions::<T>::get(subscription).ok_or(Error::<T>::SubscriptionNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		// Links live in the IMPI records and go with them.
		for impi in &record.impis {
			Impis::<T>::remove(impi);
		}
		for impu in &record.impus {
			if let Some(impu_record) = Impus::<T>::take(impu) {
				Self::release::<_, ServiceProfiles<T>>(realm, impu_record.service_profile);
				if let Some(charging) = impu_record.charging {
					Self::release::<_, ChargingInfos<T>>(realm, charging);
				}
			}
			Registrations::<T>::remove(impu);
		}
		let _ =
			ImplicitSets::<T>::clear_prefix(subscription, T::MaxImpusPerSubscription::get(), None);
		Subscriptions::<T>::remove(subscription);
		Realms::<T>::mutate(realm, |info| {
			if let Some(info) = info {
				info.subscriptions = info.subscriptions.saturating_sub(1);
			}
		});
		let observed = T::Observer::subscription_erased(subscription);
		let (impis, impus) = (record.impis.len() as u32, record.impus.len() as u32);
		Self::deposit_event(Event::SubscriptionErased { realm, subscription, impis, impus });
		T::AuditSink::record(actor, realm, Subject::Subscription(subscription), Change::Erased);
		Ok(T::WeightInfo::remove_subscription(impis, impus).saturating_add(observed))
	}
}
