//! Batches: bulk import and registration reports.

use super::*;

impl<T: Config> Pallet<T> {
	/// The weight of an import: each item weighs what its call weighs.
	pub fn import_weight(items: &ImportBatch<T>) -> Weight {
		items.iter().fold(Weight::zero(), |total, item| {
			total.saturating_add(match item {
				ImportItem::Subscription { .. } => T::WeightInfo::create_subscription(),
				ImportItem::Impi { .. } => T::WeightInfo::create_impi(),
				ImportItem::Impu { .. } => T::WeightInfo::create_impu(),
				ImportItem::Link { .. } => T::WeightInfo::link(),
			})
		})
	}

	pub(crate) fn do_import(actor: Actor<T>, items: ImportBatch<T>) -> DispatchResult {
		ensure!(!items.is_empty(), Error::<T>::EmptyBatch);
		let count = items.len() as u32;
		for item in items {
			match item {
				ImportItem::Subscription { realm, subscription } => {
					Self::do_create_subscription(actor, realm, subscription)?
				},
				ImportItem::Impi { subscription, impi, schemes, default_scheme } => {
					Self::do_create_impi(actor, subscription, impi, schemes, default_scheme)?
				},
				ImportItem::Impu { subscription, impu, attributes } => {
					Self::do_create_impu(actor, subscription, impu, attributes)?
				},
				ImportItem::Link { impi, impu } => Self::do_link(actor, impi, impu)?,
			}
		}
		Self::deposit_event(Event::Imported { items: count });
		Ok(())
	}

	/// The members of an IMPU's implicit set (itself alone if it has none).
	pub(super) fn implicit_members(impu: ImpuId, record: &ImpuRecord) -> Vec<ImpuId> {
		record
			.implicit_set
			.and_then(|set| ImplicitSets::<T>::get(record.subscription, set))
			.map(|set| set.members.into_inner())
			.unwrap_or_else(|| vec![impu])
	}

	/// The weight of `updates` registration reports that wrote
	/// `extra_members` registrations beyond one per report (the other
	/// members of implicit sets).
	pub fn registrations_weight(updates: u32, extra_members: u32) -> Weight {
		let per_member = T::WeightInfo::register_implicit_set(extra_members.saturating_add(1))
			.saturating_sub(T::WeightInfo::register_implicit_set(1));
		T::WeightInfo::record_registrations(updates).saturating_add(per_member)
	}

	/// Apply registration reports; returns how many registrations were
	/// written beyond one per applied report.
	pub(crate) fn do_record_registrations(
		actor: Actor<T>,
		updates: RegistrationBatch<T>,
	) -> Result<u32, DispatchError> {
		ensure!(!updates.is_empty(), Error::<T>::EmptyBatch);
		let now = frame_system::Pallet::<T>::block_number();
		let mut extra_members = 0u32;
		for update in updates {
			match (update.state, &update.scscf) {
				(RegistrationState::NotRegistered, Some(_)) => {
					return Err(Error::<T>::UnexpectedScscf.into())
				},
				(RegistrationState::Registered | RegistrationState::Unregistered, None) => {
					return Err(Error::<T>::ScscfRequired.into())
				},
				(_, Some(scscf)) if scscf.is_empty() => return Err(Error::<T>::EmptyName.into()),
				_ => {},
			}
			let Some(record) = Impus::<T>::get(update.impu) else {
				Self::deposit_event(Event::RegistrationSkipped { impu: update.impu });
				continue;
			};
			Self::permit(actor, record.realm, Permission::RecordRegistration)?;
			let members = Self::implicit_members(update.impu, &record);
			extra_members = extra_members.saturating_add((members.len() as u32).saturating_sub(1));
			for member in &members {
				if update.state == RegistrationState::NotRegistered {
					Registrations::<T>::remove(member);
				} else {
					Registrations::<T>::insert(
						member,
						RegistrationRecord {
							state: update.state,
							scscf: update.scscf.clone(),
							updated_at: now,
						},
					);
				}
			}
			Self::deposit_event(Event::RegistrationRecorded {
				impu: update.impu,
				state: update.state,
				scscf: update.scscf,
				members: members.len() as u32,
			});
			T::AuditSink::record(
				actor,
				record.realm,
				Subject::Impu(update.impu),
				Change::Registration(update.state),
			);
		}
		Ok(extra_members)
	}
}
