//! Links between private and public identities.

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_link(actor: Actor<T>, impi: ImpiId, impu: ImpuId) -> DispatchResult {
		let mut impi_record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		let mut impu_record = Impus::<T>::get(impu).ok_or(Error::<T>::ImpuNotFound)?;
		Self::permit(actor, impi_record.realm, Permission::Provision)?;
		ensure!(impi_record.realm == impu_record.realm, Error::<T>::CrossRealmLink);
		ensure!(
			impi_record.subscription == impu_record.subscription,
			Error::<T>::CrossSubscriptionLink
		);
		ensure!(!impi_record.impus.contains(&impu), Error::<T>::AlreadyLinked);
		// Both identities are of one subscription, so the IMPI cannot hold
		// more links than the subscription has IMPUs.
		impi_record.impus.try_push(impu).map_err(|_| Error::<T>::TooManyImpus)?;
		impu_record.impis = impu_record.impis.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let realm = impi_record.realm;
		Impis::<T>::insert(impi, impi_record);
		Impus::<T>::insert(impu, impu_record);
		Self::deposit_event(Event::Linked { impi, impu });
		T::AuditSink::record(actor, realm, Subject::Impi(impi), Change::Linked(impu));
		Ok(())
	}

	pub(crate) fn do_unlink(actor: Actor<T>, impi: ImpiId, impu: ImpuId) -> DispatchResult {
		let mut impi_record = Impis::<T>::get(impi).ok_or(Error::<T>::ImpiNotFound)?;
		let mut impu_record = Impus::<T>::get(impu).ok_or(Error::<T>::ImpuNotFound)?;
		Self::permit(actor, impi_record.realm, Permission::Provision)?;
		ensure!(impi_record.impus.contains(&impu), Error::<T>::NotLinked);
		impi_record.impus.retain(|linked| *linked != impu);
		impu_record.impis = impu_record.impis.saturating_sub(1);
		let realm = impi_record.realm;
		Impis::<T>::insert(impi, impi_record);
		Impus::<T>::insert(impu, impu_record);
		Self::deposit_event(Event::Unlinked { impi, impu });
		T::AuditSink::record(actor, realm, Subject::Impi(impi), Change::Unlinked(impu));
		Ok(())
	}
}
