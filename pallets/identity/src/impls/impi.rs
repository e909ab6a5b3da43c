//! Private identities: schemes, credential epochs, removal.

use super::*;

impl<T: Config> Pallet<T> {
	pub(super) fn check_schemes(
		schemes: AuthSchemes,
		default_scheme: AuthScheme,
	) -> DispatchResult {
		ensure!(!schemes.is_empty(), Error::<T>::NoAuthScheme);
		ensure!(schemes.is_known(), Error::<T>::UnknownAuthScheme);
		ensure!(schemes.contains(default_scheme), Error::<T>::DefaultSchemeNotAllowed);
		Ok(())
	}

	pub(crate) fn do_create_impi(
		actor: Actor<T>,
		subscription: SubscriptionId,
		impi: ImpiId,
		schemes: AuthSchemes,
		default_scheme: AuthScheme,
	) -> DispatchResult {
		let mut record =
			Subscriptions::<T>::get(subscription).ok_or(Error::<T>::SubscriptionNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		let new = ImpiImport { impi, schemes, default_scheme };
		Self::add_impi(&mut record, subscription, &new, BoundedVec::new())?;
		Subscriptions::<T>::insert(subscription, record);
		Self::deposit_event(Event::ImpiCreated { subscription, impi });
		T::AuditSink::record(actor, realm, Subject::Impi(impi), Change::Created);
		Ok(())
	}

	/// Store a new IMPI linked to `impus` (whose link counts the caller
	/// keeps) and add it to `record`, which the caller stores.
	pub(super) fn add_impi(
		record: &mut SubscriptionOf<T>,
		subscription: SubscriptionId,
		new: &ImpiImport,
		impus: BoundedVec<ImpuId, T::MaxImpusPerSubscription>,
	) -> DispatchResult {
		let ImpiImport { impi, schemes, default_scheme } = *new;
		ensure!(!Impis::<T>::contains_key(impi), Error::<T>::ImpiAlreadyExists);
		Self::check_schemes(schemes, default_scheme)?;
		record.impis.try_push(impi).map_err(|_| Error::<T>::TooManyImpis)?;
		let realm = record.realm;
		let stored =
			ImpiRecord { subscription, realm, schemes, default_scheme, credential_epoch: 0, impus };
		Impis::<T>::insert(impi, stored);
		Ok(())
	}

	pub(crate) fn do_update_impi(
		actor: Actor<T>,
		impi: ImpiId,
		schemes: AuthSchemes,
		default_scheme: AuthScheme,
	) -> DispatchResult {
		let mut record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		Self::permit(actor, record.realm, Permission::Provision)?;
		Self::check_schemes(schemes, default_scheme)?;
		record.schemes = schemes;
		record.default_scheme = default_scheme;
		let realm = record.realm;
		Impis::<T>::insert(impi, record);
		Self::deposit_event(Event::ImpiUpdated { impi, schemes, default_scheme });
		T::AuditSink::record(actor, realm, Subject::Impi(impi), Change::Updated);
		Ok(())
	}

	pub(crate) fn do_rotate_credentials(actor: Actor<T>, impi: ImpiId) -> DispatchResult {
		let mut record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		Self::permit(actor, record.realm, Permission::RotateCredentials)?;
		let epoch = record.credential_epoch.checked_add(1).ok_or(Error::<T>::Overflow)?;
		record.credential_epoch = epoch;
		let realm = record.realm;
		Impis::<T>::insert(impi, record);
		Self::deposit_event(Event::CredentialsRotated { impi, epoch });
		T::AuditSink::record(actor, realm, Subject::Impi(impi), Change::CredentialsRotated);
		Ok(())
	}

	/// Remove an IMPI; returns how many links it had.
	pub(crate) fn do_remove_impi(actor: Actor<T>, impi: ImpiId) -> Result<u32, DispatchError> {
		let record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		let realm = record.realm;
		Self::permit(actor, realm, Permission::Provision)?;
		for &impu in &record.impus {
			Impus::<T>::mutate(impu, |impu| {
				if let Some(impu) = impu {
					impu.impis = impu.impis.saturating_sub(1);
				}
			});
			Self::deposit_event(Event::Unlinked { impi, impu });
		}
		let links = record.impus.len() as u32;
		Subscriptions::<T>::mutate(record.subscription, |subscription| {
			if let Some(subscription) = subscription {
				subscription.impis.retain(|member| *member != impi);
			}
		});
		Impis::<T>::remove(impi);
		Self::deposit_event(Event::ImpiRemoved { impi });
		T::AuditSink::record(actor, realm, Subject::Impi(impi), Change::Removed);
		Ok(links)
	}
}
