//! Batches: bulk import and registration reports.

use super::*;

/// Changes of one realm handed to the audit trail together.
type RealmChanges<T> = Vec<(Subject<<T as frame_system::Config>::AccountId>, Change)>;

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

	/// The weight of `import_subscribers`: each subscriber as the reference
	/// one (an IMPI, an IMPU and their link), plus its extra identities and
	/// its implicit sets (`docs/bulk-import.md`, "Weight").
	pub fn import_subscribers_weight(subscribers: &SubscriberBatch<T>) -> Weight {
		let (identities, sets) =
			subscribers.iter().fold((0u32, 0u32), |(identities, sets), one| {
				(
					identities.saturating_add(Self::extra_identities(one)),
					sets.saturating_add(Self::implicit_sets(one)),
				)
			});
		let per_identity = T::WeightInfo::import_extra_identities(identities)
			.saturating_sub(T::WeightInfo::import_extra_identities(0));
		let per_set = T::WeightInfo::import_implicit_sets(sets)
			.saturating_sub(T::WeightInfo::import_implicit_sets(0));
		// The reference subscribers share one profile and one charging
		// record; each other record a call uses is charged once.
		let records = Self::shared_records(subscribers).saturating_sub(2);
		let per_record = T::WeightInfo::import_shared_records(records.saturating_add(1))
			.saturating_sub(T::WeightInfo::import_shared_records(1));
		T::WeightInfo::import_subscribers(subscribers.len() as u32)
			.saturating_add(per_identity)
			.saturating_add(per_set)
			.saturating_add(per_record)
	}

	/// The distinct profiles and charging records a call's IMPUs use.
	pub fn shared_records(subscribers: &SubscriberBatch<T>) -> u32 {
		let attributes =
			subscribers.iter().flat_map(|one| one.impus.iter().map(|new| &new.attributes));
		let mut profiles = BTreeSet::new();
		let mut charging = BTreeSet::new();
		for attributes in attributes {
			profiles.insert(attributes.service_profile);
			charging.extend(attributes.charging);
		}
		(profiles.len() as u32).saturating_add(charging.len() as u32)
	}

	/// What a subscriber holds beyond the reference one, each charged as an
	/// extra IMPU with its link (the dearest identity): every IMPI and IMPU
	/// after the first, and every link beyond one per IMPU.
	pub fn extra_identities(subscriber: &SubscriberImportOf<T>) -> u32 {
		let beyond_one = |n: usize| (n as u32).saturating_sub(1);
		let impus = subscriber.impus.len().max(1);
		beyond_one(subscriber.impis.len())
			.saturating_add(beyond_one(subscriber.impus.len()))
			.saturating_add(subscriber.links.len().saturating_sub(impus) as u32)
	}

	/// The implicit sets a subscriber's IMPUs form.
	pub fn implicit_sets(subscriber: &SubscriberImportOf<T>) -> u32 {
		let mut sets: Vec<ImplicitSetId> =
			subscriber.impus.iter().filter_map(|new| new.attributes.implicit_set).collect();
		sets.sort_unstable();
		sets.dedup();
		sets.len() as u32
	}

	pub(crate) fn do_import_subscribers(
		actor: Actor<T>,
		realm: RealmId,
		subscribers: SubscriberBatch<T>,
	) -> DispatchResult {
		ensure!(!subscribers.is_empty(), Error::<T>::EmptyBatch);
		Self::realm_permit(actor, realm, Permission::Provision)?;
		Self::count_subscriptions(realm, subscribers.len() as u32)?;
		let mut changes = Vec::with_capacity(subscribers.len());
		let mut uses = Uses::default();
		for subscriber in subscribers {
			changes.push(Self::import_subscriber(realm, subscriber, &mut uses)?);
		}
		Self::take_uses(realm, uses)?;
		// One report, so the audit trail seals the batch's records together.
		T::AuditSink::record_all(actor, realm, changes);
		Ok(())
	}

	/// Store one subscriber whole, each identity checked as its `create_*`
	/// call checks it, with one write of each record (design note:
	/// `docs/bulk-import.md`); returns the subscriber's audit record.
	fn import_subscriber(
		realm: RealmId,
		subscriber: SubscriberImportOf<T>,
		uses: &mut Uses,
	) -> Result<(Subject<T::AccountId>, Change), DispatchError> {
		let SubscriberImport { subscription, impis, impus, links } = subscriber;
		Self::ensure_new_subscription(subscription)?;
		let links = Self::resolve_links(&impis, &impus, &links)?;
		let mut record = Self::empty_subscription(realm);
		for new in &impis {
			let linked = links.iter().filter(|(impi, _)| *impi == new.impi).map(|(_, impu)| *impu);
			let linked = BoundedVec::try_from(linked.collect::<Vec<_>>())
				.map_err(|_| Error::<T>::TooManyImpus)?;
			Self::add_impi(&mut record, subscription, new, linked)?;
		}
		for new in impus {
			let count = links.iter().filter(|(_, impu)| *impu == new.impu).count();
			Self::add_impu(&mut record, subscription, new, count as u32, uses)?;
		}
		let (impis, impus) = (record.impis.clone(), record.impus.clone());
		let counts = Change::Imported { impis: impis.len() as u32, impus: impus.len() as u32 };
		Subscriptions::<T>::insert(subscription, record);
		Self::deposit_event(Event::SubscriberImported { realm, subscription, impis, impus });
		Ok((Subject::Subscription(subscription), counts))
	}

	/// The identities each link names, by their indices. Every identity of
	/// the subscriber is new, so a link can only be a duplicate of another
	/// in the same list.
	fn resolve_links(
		impis: &[ImpiImport],
		impus: &[ImpuImport],
		links: &[LinkImport],
	) -> Result<Vec<(ImpiId, ImpuId)>, DispatchError> {
		let mut pairs = Vec::with_capacity(links.len());
		let mut seen = BTreeSet::new();
		for &(impi, impu) in links {
			ensure!(seen.insert((impi, impu)), Error::<T>::AlreadyLinked);
			let impi = impis.get(usize::from(impi)).ok_or(Error::<T>::LinkOutOfRange)?;
			let impu = impus.get(usize::from(impu)).ok_or(Error::<T>::LinkOutOfRange)?;
			pairs.push((impi.impi, impu.impu));
		}
		Ok(pairs)
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

	/// The extra implicit-set members `record_registrations` is charged for:
	/// the caller's `witness`, at most a full set for each of `updates`.
	pub fn members_charged(updates: u32, witness: u32) -> u32 {
		updates.saturating_mul(T::MaxImpusPerSubscription::get().saturating_sub(1)).min(witness)
	}

	/// Apply registration reports; returns how many registrations were
	/// written beyond one per applied report, refusing the batch when that
	/// exceeds `witness`.
	pub(crate) fn do_record_registrations(
		actor: Actor<T>,
		updates: RegistrationBatch<T>,
		witness: u32,
	) -> Result<u32, DispatchError> {
		ensure!(!updates.is_empty(), Error::<T>::EmptyBatch);
		let now = frame_system::Pallet::<T>::block_number();
		let mut extra_members = 0u32;
		// The trail takes each run of one realm's updates together: one
		// seal's weight for the run instead of one per update, which was
		// most of a batch's charge (`docs/submitter.md`).
		let mut run: Option<(RealmId, RealmChanges<T>)> = None;
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
			ensure!(extra_members <= witness, Error::<T>::MembersOverWitness);
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
			let change = (Subject::Impu(update.impu), Change::Registration(update.state));
			match &mut run {
				Some((realm, changes)) if *realm == record.realm => changes.push(change),
				_ => {
					if let Some((realm, changes)) = run.replace((record.realm, vec![change])) {
						T::AuditSink::record_all(actor, realm, changes);
					}
				},
			}
		}
		if let Some((realm, changes)) = run {
			T::AuditSink::record_all(actor, realm, changes);
		}
		Ok(extra_members)
	}
}
