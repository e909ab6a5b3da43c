//! Realms: creation, ownership, removal.

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_realm(
		name: Name,
		owner: T::AccountId,
	) -> Result<RealmId, DispatchError> {
		ensure!(!name.is_empty(), Error::<T>::EmptyName);
		ensure!(!RealmByName::<T>::contains_key(&name), Error::<T>::RealmNameTaken);
		let realm = NextRealmId::<T>::get();
		let next = realm.checked_add(1).ok_or(Error::<T>::RealmIdsExhausted)?;
		NextRealmId::<T>::put(next);
		RealmByName::<T>::insert(&name, realm);
		Realms::<T>::insert(
			realm,
			RealmInfo { owner: owner.clone(), name: name.clone(), subscriptions: 0, services: 0 },
		);
		Self::deposit_event(Event::RealmCreated { realm, name, owner });
		T::AuditSink::record(None, realm, Subject::Realm, Change::Created);
		Ok(realm)
	}

	pub(crate) fn do_set_realm_owner(
		actor: Actor<T>,
		realm: RealmId,
		owner: T::AccountId,
	) -> DispatchResult {
		Self::realm_permit(actor, realm, Permission::AdministerRealm)?;
		Realms::<T>::try_mutate(realm, |info| {
			let info = info.as_mut().ok_or(Error::<T>::RealmNotFound)?;
			info.owner = owner.clone();
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::RealmOwnerChanged { realm, owner });
		T::AuditSink::record(actor, realm, Subject::Realm, Change::Updated);
		Ok(())
	}

	pub(crate) fn do_remove_realm(realm: RealmId) -> DispatchResult {
		let info = Realms::<T>::get(realm).ok_or(Error::<T>::RealmNotFound)?;
		ensure!(info.subscriptions == 0 && info.services == 0, Error::<T>::RealmNotEmpty);
		ensure!(!T::Observer::realm_in_use(realm), Error::<T>::RealmInUse);
		Realms::<T>::remove(realm);
		RealmByName::<T>::remove(&info.name);
		Self::deposit_event(Event::RealmRemoved { realm });
		T::AuditSink::record(None, realm, Subject::Realm, Change::Removed);
		Ok(())
	}
}
