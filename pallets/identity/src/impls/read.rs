//! The read side behind `IdentityApi`: the views a Cx front answers from.

use super::*;
use codec::Encode;
use ims_primitives::limits::{MAX_VIEWS_PER_CALL, MAX_VIEW_BYTES_PER_CALL};

impl<T: Config> Pallet<T> {
	pub(super) fn impu_view(impu: ImpuId, record: &ImpuRecord) -> ImpuView {
		let members = Self::implicit_members(impu, record);
		let all_barred = members.iter().all(|member| {
			if *member == impu {
				record.barred
			} else {
				Impus::<T>::get(member).is_none_or(|member| member.barred)
			}
		});
		let registration = Registrations::<T>::get(impu)
			.map(|registration| RegistrationView {
				state: registration.state,
				scscf: registration.scscf,
			})
			.unwrap_or_default();
		ImpuView {
			impu,
			realm: record.realm,
			realm_name: Realms::<T>::get(record.realm).map(|realm| realm.name).unwrap_or_default(),
			subscription: record.subscription,
			kind: record.kind,
			barred: record.barred,
			can_register: record.can_register,
			implicit_set: record.implicit_set,
			all_barred,
			roaming: record.roaming.clone(),
			registration,
		}
	}

	/// The IMPIs of `subscription` linked to `impu`, in the subscription's
	/// order.
	pub(crate) fn impis_linked_to(impu: ImpuId, subscription: SubscriptionId) -> Vec<ImpiId> {
		let impis = Subscriptions::<T>::get(subscription).map(|record| record.impis);
		impis
			.into_iter()
			.flatten()
			.filter(|impi| Impis::<T>::get(impi).is_some_and(|record| record.impus.contains(&impu)))
			.collect()
	}

	pub(super) fn linked_pair(
		impi: ImpiId,
		impu: ImpuId,
	) -> Result<(ImpiRecordOf<T>, ImpuRecord), LookupError> {
		let impi_record = Impis::<T>::get(impi).ok_or(LookupError::UnknownImpi)?;
		let impu_record = Impus::<T>::get(impu).ok_or(LookupError::UnknownImpu)?;
		if !impi_record.impus.contains(&impu) {
			return Err(LookupError::NotLinked);
		}
		Ok((impi_record, impu_record))
	}

	/// UAR: see [`ims_primitives::IdentityApi::user_authorization`].
	pub fn user_authorization(impi: ImpiId, impu: ImpuId) -> Result<ImpuView, LookupError> {
		let (_, impu_record) = Self::linked_pair(impi, impu)?;
		Ok(Self::impu_view(impu, &impu_record))
	}

	/// MAR: see [`ims_primitives::IdentityApi::authentication`].
	pub fn authentication(impi: ImpiId, impu: ImpuId) -> Result<AuthenticationView, LookupError> {
		let (impi_record, impu_record) = Self::linked_pair(impi, impu)?;
		Ok(AuthenticationView {
			impu: Self::impu_view(impu, &impu_record),
			impi,
			schemes: impi_record.schemes,
			default_scheme: impi_record.default_scheme,
			credential_epoch: impi_record.credential_epoch,
		})
	}

	/// SAR: see [`ims_primitives::IdentityApi::server_assignment`].
	pub fn server_assignment(
		impi: Option<ImpiId>,
		impu: ImpuId,
	) -> Result<ServerAssignmentView, LookupError> {
		let record = match impi {
			Some(impi) => Self::linked_pair(impi, impu)?.1,
			None => Impus::<T>::get(impu).ok_or(LookupError::UnknownImpu)?,
		};
		let realm = record.realm;
		// Every member with its record; the requested identity first so that
		// its profile comes first.
		let mut members: Vec<(ImpuId, ImpuRecord)> = vec![(impu, record.clone())];
		for member in Self::implicit_members(impu, &record) {
			if member != impu {
				if let Some(member_record) = Impus::<T>::get(member) {
					members.push((member, member_record));
				}
			}
		}
		let mut profiles: Vec<ProfileView> = Vec::new();
		for (member, member_record) in &members {
			let identity = PublicIdentityView {
				impu: *member,
				kind: member_record.kind,
				barred: member_record.barred,
			};
			if let Some(view) =
				profiles.iter_mut().find(|view| view.id == member_record.service_profile)
			{
				view.identities.push(identity);
			} else if let Some(view) = Self::profile_view(realm, member_record.service_profile) {
				profiles.push(ProfileView { identities: vec![identity], ..view });
			}
		}
		Ok(ServerAssignmentView {
			impu: Self::impu_view(impu, &record),
			associated_impis: Self::impis_linked_to(impu, record.subscription),
			profiles,
			charging: record
				.charging
				.and_then(|charging| ChargingInfos::<T>::get(realm, charging))
				.map(|charging| charging.value),
		})
	}

	/// See [`ims_primitives::IdentityApi::server_assignment_page`].
	pub fn server_assignment_page(after: Option<ImpuId>, count: u32) -> ServerAssignmentPage {
		Self::page_within(after, count, MAX_VIEW_BYTES_PER_CALL as usize)
	}

	/// A page of at most `count` identities that ends at the first view
	/// taking the encoded views to `budget` bytes. It always reads one
	/// identity (if `count` is not 0), so paging goes on whatever the
	/// budget.
	pub(crate) fn page_within(
		after: Option<ImpuId>,
		count: u32,
		budget: usize,
	) -> ServerAssignmentPage {
		let count = count.min(MAX_VIEWS_PER_CALL) as usize;
		let mut keys = match after {
			Some(after) => Impus::<T>::iter_keys_from(Impus::<T>::hashed_key_for(after)),
			None => Impus::<T>::iter_keys(),
		};
		let (mut views, mut size, mut read, mut last) = (Vec::new(), 0usize, 0usize, None);
		while read < count && (read == 0 || size < budget) {
			// Fewer identities than asked for: this page is the last.
			let Some(impu) = keys.next() else { return ServerAssignmentPage { views, next: None } };
			(read, last) = (read.saturating_add(1), Some(impu));
			if let Ok(view) = Self::server_assignment(None, impu) {
				size = size.saturating_add(view.encoded_size());
				views.push((impu, view));
			}
		}
		ServerAssignmentPage { views, next: last }
	}

	/// See [`ims_primitives::IdentityApi::server_assignments`].
	pub fn server_assignments(
		impus: Vec<ImpuId>,
	) -> Vec<Result<ServerAssignmentView, LookupError>> {
		Self::answers_within(impus, MAX_VIEW_BYTES_PER_CALL as usize)
	}

	/// The answers for the leading identities of `impus`: at most
	/// [`MAX_VIEWS_PER_CALL`], ending at the first taking the encoded
	/// answers to `budget` bytes, and never none for a non-empty `impus`.
	pub(crate) fn answers_within(
		impus: Vec<ImpuId>,
		budget: usize,
	) -> Vec<Result<ServerAssignmentView, LookupError>> {
		let mut size = 0usize;
		impus
			.into_iter()
			.take(MAX_VIEWS_PER_CALL as usize)
			.enumerate()
			.map_while(|(at, impu)| {
				(at == 0 || size < budget).then(|| {
					let answer = Self::server_assignment(None, impu);
					size = size.saturating_add(answer.encoded_size());
					answer
				})
			})
			.collect()
	}

	/// A profile with every criterion (own and shared) resolved, by
	/// priority; no identities yet.
	pub(super) fn profile_view(realm: RealmId, id: ProfileId) -> Option<ProfileView> {
		let profile = ServiceProfiles::<T>::get(realm, id)?.value;
		let mut ifcs: Vec<IfcView> = Vec::new();
		let shared = profile
			.shared_ifc_sets
			.iter()
			.filter_map(|set| IfcSets::<T>::get(realm, set))
			.flat_map(|set| set.value.into_inner());
		for ifc in profile.ifcs.iter().cloned().chain(shared) {
			if let Some(server) = ApplicationServers::<T>::get(realm, ifc.application_server) {
				ifcs.push(IfcView {
					priority: ifc.priority,
					trigger_point: ifc.trigger_point,
					application_server_id: ifc.application_server,
					application_server: server.value,
					profile_part: ifc.profile_part,
				});
			}
		}
		ifcs.sort_by_key(|ifc| ifc.priority);
		Some(ProfileView {
			id,
			name: profile.name,
			identities: Vec::new(),
			ifcs,
			shared_ifc_sets: profile.shared_ifc_sets.into_inner(),
			subscribed_media_profile: profile.subscribed_media_profile,
		})
	}

	/// LIR: see [`ims_primitives::IdentityApi::location`].
	pub fn location(impu: ImpuId) -> Result<ImpuView, LookupError> {
		let record = Impus::<T>::get(impu).ok_or(LookupError::UnknownImpu)?;
		Ok(Self::impu_view(impu, &record))
	}
}
