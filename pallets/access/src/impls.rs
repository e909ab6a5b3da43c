//! What the calls do, the decisions, and the glue the other pallets call.

use crate::{pallet::*, types::*, weights::WeightInfo};
use frame_support::{ensure, pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::*;
use ims_primitives::{
	Action, AuditSink, Authorizer, CallScope, Change, Denial, Directory, IdentityObserver,
	LawfulBasis, Name, Permission, Pseudonym, Purpose, RealmId, Requester, Role, Subject,
	SubscriptionId,
};
use sp_core::H256;

impl<T> From<AuthorizationDefect> for Error<T> {
	fn from(defect: AuthorizationDefect) -> Self {
		match defect {
			AuthorizationDefect::EmptyPurpose => Error::EmptyPurpose,
			AuthorizationDefect::EmptyService => Error::EmptyService,
			AuthorizationDefect::DuplicateService => Error::DuplicateService,
			AuthorizationDefect::UnknownShData => Error::UnknownShData,
			AuthorizationDefect::NothingAuthorized => Error::NothingAuthorized,
		}
	}
}

pub(crate) use ims_primitives::origin::Actor;

impl<T: Config> ims_primitives::origin::Acting<T> for Pallet<T> {
	type Admin = T::AdminOrigin;
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	fn ensure_future(expires_at: &Option<BlockNumberFor<T>>) -> DispatchResult {
		ensure!(holds_at(expires_at, &Self::now()), Error::<T>::ExpiryInPast);
		Ok(())
	}

	// --- decisions ---

	/// Whether `who` holds `permission` in `realm`, whose owner is `owner`:
	/// through an unexpired grant, or as the owner. Grants are read first,
	/// so that every signed check costs the same two reads.
	fn account_decision(
		who: &T::AccountId,
		owner: &T::AccountId,
		realm: RealmId,
		permission: Permission,
	) -> Result<(), Denial> {
		let now = Self::now();
		let mut expired = false;
		for grant in Roles::<T>::get(realm, who).unwrap_or_default() {
			if grant.role.permits(permission) {
				if holds_at(&grant.expires_at, &now) {
					return Ok(());
				}
				expired = true;
			}
		}
		let owner_may =
			permission == Permission::AdministerRealm || Role::RealmAdmin.permits(permission);
		if who == owner && owner_may {
			return Ok(());
		}
		Err(if expired { Denial::GrantExpired } else { Denial::MissingRole })
	}

	/// The decision the runtime API returns: see [`ims_primitives::AccessApi`].
	pub fn decide(
		requester: Requester<T::AccountId>,
		realm: RealmId,
		subscriber: Option<Pseudonym>,
		action: Action,
	) -> Result<(), Denial> {
		let owner = T::Directory::realm_owner(realm).ok_or(Denial::UnknownRealm)?;
		let subscription = match subscriber {
			Some(subscriber) => {
				let (home, subscription) =
					T::Directory::subscription_of(subscriber).ok_or(Denial::UnknownSubscriber)?;
				ensure!(home == realm, Denial::SubscriberInOtherRealm);
				Some(subscription)
			},
			None => None,
		};
		let (host, fingerprint) = match (requester, &action) {
			(Requester::Account(who), Action::Exercise(permission)) => {
				return Self::account_decision(&who, &owner, realm, *permission)
			},
			(Requester::ApplicationServer { host, fingerprint }, action)
				if !matches!(action, Action::Exercise(_)) =>
			{
				(host, fingerprint)
			},
			_ => return Err(Denial::WrongRequester),
		};
		let now = Self::now();
		let authorization =
			ApplicationServers::<T>::get(realm, &host).ok_or(Denial::UnknownApplicationServer)?;
		ensure!(authorization.fingerprint == fingerprint, Denial::CertificateMismatch);
		ensure!(holds_at(&authorization.expires_at, &now), Denial::AuthorizationExpired);
		match &action {
			Action::ShRead(data) => {
				ensure!(authorization.sh_read.contains(*data), Denial::DataNotAuthorized)
			},
			Action::ShUpdate(data) => {
				ensure!(authorization.sh_update.contains(*data), Denial::DataNotAuthorized)
			},
			Action::Serve(service) => {
				ensure!(authorization.services.contains(service), Denial::ServiceNotAuthorized)
			},
			Action::Exercise(_) => return Err(Denial::WrongRequester),
		}
		let subscription = subscription.ok_or(Denial::SubscriberRequired)?;
		let consents = Consents::<T>::get(subscription).unwrap_or_default();
		let consent = consents
			.iter()
			.find(|consent| consent.purpose == authorization.purpose)
			.ok_or(Denial::NoConsent)?;
		ensure!(holds_at(&consent.expires_at, &now), Denial::ConsentExpired);
		Ok(())
	}

	/// Let governance through; check a signed account's roles in `realm`.
	fn permit(actor: Actor<T>, realm: RealmId, permission: Permission) -> DispatchResult {
		let owner = T::Directory::realm_owner(realm).ok_or(Error::<T>::RealmNotFound)?;
		match actor {
			None => Ok(()),
			Some(who) => Self::account_decision(who, &owner, realm, permission).map_err(|denial| {
				match denial {
					Denial::GrantExpired => Error::<T>::GrantExpired,
					_ => Error::<T>::NotAuthorized,
				}
				.into()
			}),
		}
	}

	// --- roles ---

	pub(crate) fn do_grant_role(
		actor: Actor<T>,
		realm: RealmId,
		who: T::AccountId,
		role: Role,
		expires_at: Option<BlockNumberFor<T>>,
	) -> DispatchResult {
		Self::permit(actor, realm, Permission::ManageRoles).map_err(|error| {
			if actor == Some(&who) && error == Error::<T>::NotAuthorized.into() {
				Error::<T>::SelfGrant.into()
			} else {
				error
			}
		})?;
		Self::ensure_future(&expires_at)?;
		let grant = RoleGrant { role, since: Self::now(), expires_at };
		Roles::<T>::try_mutate(realm, &who, |grants| {
			let grants = grants.get_or_insert_with(Default::default);
			match grants.binary_search_by_key(&role, |grant| grant.role) {
				Ok(index) => {
					if let Some(held) = grants.get_mut(index) {
						*held = grant;
					}
				},
				// Four roles, four places: one grant per role always fits.
				Err(index) => grants
					.try_insert(index, grant)
					.map_err(|_| DispatchError::Other("more grants than roles"))?,
			}
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::RoleGranted { realm, who: who.clone(), role, expires_at });
		T::AuditSink::record(actor, realm, Subject::Member(who), Change::Granted(role));
		Ok(())
	}

	pub(crate) fn do_revoke_role(
		actor: Actor<T>,
		realm: RealmId,
		who: T::AccountId,
		role: Role,
	) -> DispatchResult {
		if actor != Some(&who) {
			Self::permit(actor, realm, Permission::ManageRoles)?;
		}
		Roles::<T>::try_mutate_exists(realm, &who, |grants| {
			let held = grants.as_mut().ok_or(Error::<T>::RoleNotFound)?;
			let index = held
				.binary_search_by_key(&role, |grant| grant.role)
				.map_err(|_| Error::<T>::RoleNotFound)?;
			held.remove(index);
			if held.is_empty() {
				*grants = None;
			}
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::RoleRevoked { realm, who: who.clone(), role });
		T::AuditSink::record(actor, realm, Subject::Member(who), Change::Revoked(role));
		Ok(())
	}

	pub(crate) fn do_remove_expired_roles(
		cleaner: &T::AccountId,
		realm: RealmId,
		who: T::AccountId,
	) -> DispatchResult {
		let now = Self::now();
		let mut grants = Roles::<T>::get(realm, &who).ok_or(Error::<T>::NothingExpired)?;
		let before = grants.clone();
		grants.retain(|grant| holds_at(&grant.expires_at, &now));
		ensure!(grants.len() < before.len(), Error::<T>::NothingExpired);
		if grants.is_empty() {
			Roles::<T>::remove(realm, &who);
		} else {
			Roles::<T>::insert(realm, &who, grants);
		}
		for grant in before.iter().filter(|grant| !holds_at(&grant.expires_at, &now)) {
			Self::deposit_event(Event::ExpiredRoleRemoved {
				realm,
				who: who.clone(),
				role: grant.role,
			});
			T::AuditSink::record(
				Some(cleaner),
				realm,
				Subject::Member(who.clone()),
				Change::Revoked(grant.role),
			);
		}
		Ok(())
	}

	// --- application servers ---

	pub(crate) fn do_authorize_application_server(
		actor: Actor<T>,
		realm: RealmId,
		host: Name,
		authorization: AsAuthorizationOf<T>,
	) -> DispatchResult {
		Self::permit(actor, realm, Permission::ManageRoles)?;
		ensure!(!host.is_empty(), Error::<T>::EmptyHost);
		if let Some(defect) = authorization.defect() {
			return Err(Error::<T>::from(defect).into());
		}
		Self::ensure_future(&authorization.expires_at)?;
		let (fingerprint, expires_at) = (authorization.fingerprint, authorization.expires_at);
		let replaced = ApplicationServers::<T>::contains_key(realm, &host);
		ApplicationServers::<T>::insert(realm, &host, authorization);
		Self::deposit_event(Event::ApplicationServerAuthorized {
			realm,
			host: host.clone(),
			fingerprint,
			expires_at,
		});
		let change = if replaced { Change::Updated } else { Change::Created };
		T::AuditSink::record(actor, realm, Subject::Peer(host), change);
		Ok(())
	}

	pub(crate) fn do_revoke_application_server(
		actor: Actor<T>,
		realm: RealmId,
		host: Name,
	) -> DispatchResult {
		Self::permit(actor, realm, Permission::ManageRoles)?;
		ensure!(
			ApplicationServers::<T>::take(realm, &host).is_some(),
			Error::<T>::ApplicationServerNotFound
		);
		Self::deposit_event(Event::ApplicationServerRevoked { realm, host: host.clone() });
		T::AuditSink::record(actor, realm, Subject::Peer(host), Change::Removed);
		Ok(())
	}

	// --- consents ---

	/// The realm and subscription of a pseudonym, after checking the actor
	/// may manage its consents.
	fn consent_subject(
		actor: Actor<T>,
		subscriber: Pseudonym,
	) -> Result<(RealmId, SubscriptionId), DispatchError> {
		let (realm, subscription) =
			T::Directory::subscription_of(subscriber).ok_or(Error::<T>::SubscriberNotFound)?;
		Self::permit(actor, realm, Permission::ManageConsents)?;
		Ok((realm, subscription))
	}

	pub(crate) fn do_grant_consent(
		actor: Actor<T>,
		subscriber: Pseudonym,
		purpose: Purpose,
		basis: LawfulBasis,
		expires_at: Option<BlockNumberFor<T>>,
		evidence: H256,
	) -> DispatchResult {
		let (realm, subscription) = Self::consent_subject(actor, subscriber)?;
		ensure!(!purpose.is_empty(), Error::<T>::EmptyPurpose);
		Self::ensure_future(&expires_at)?;
		let record = ConsentRecord {
			purpose: purpose.clone(),
			basis,
			granted_at: Self::now(),
			expires_at,
			evidence,
		};
		let renewed = Consents::<T>::try_mutate(subscription, |consents| {
			let consents = consents.get_or_insert_with(Default::default);
			match consents.iter_mut().find(|held| held.purpose == purpose) {
				Some(held) => {
					*held = record;
					Ok::<_, DispatchError>(true)
				},
				None => {
					consents.try_push(record).map_err(|_| Error::<T>::TooManyConsents)?;
					Ok(false)
				},
			}
		})?;
		Self::deposit_event(Event::ConsentGranted {
			realm,
			subscription,
			purpose: purpose.clone(),
			basis,
			expires_at,
			evidence,
		});
		let change = if renewed { Change::Updated } else { Change::Created };
		T::AuditSink::record(actor, realm, Subject::Consent(subscription, purpose), change);
		Ok(())
	}

	pub(crate) fn do_withdraw_consent(
		actor: Actor<T>,
		subscriber: Pseudonym,
		purpose: Purpose,
		evidence: H256,
	) -> DispatchResult {
		let (realm, subscription) = Self::consent_subject(actor, subscriber)?;
		Consents::<T>::try_mutate_exists(subscription, |consents| {
			let held = consents.as_mut().ok_or(Error::<T>::ConsentNotFound)?;
			let index = held
				.iter()
				.position(|consent| consent.purpose == purpose)
				.ok_or(Error::<T>::ConsentNotFound)?;
			held.remove(index);
			if held.is_empty() {
				*consents = None;
			}
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::ConsentWithdrawn {
			realm,
			subscription,
			purpose: purpose.clone(),
			evidence,
		});
		T::AuditSink::record(
			actor,
			realm,
			Subject::Consent(subscription, purpose),
			Change::Removed,
		);
		Ok(())
	}
}

/// The access policy as the other pallets ask it: governance aside, a signed
/// account may act when [`Pallet::decide`] would allow it.
impl<T: Config> Authorizer<T::AccountId> for Pallet<T> {
	fn is_authorized(who: &T::AccountId, realm: RealmId, permission: Permission) -> bool {
		T::Directory::realm_owner(realm)
			.is_some_and(|owner| Self::account_decision(who, &owner, realm, permission).is_ok())
	}
}

/// Keeps realms that hold roles or authorisations, and erases consents with
/// their subscription.
impl<T: Config> IdentityObserver for Pallet<T> {
	fn realm_in_use(realm: RealmId) -> bool {
		Roles::<T>::iter_prefix(realm).next().is_some()
			|| ApplicationServers::<T>::iter_prefix(realm).next().is_some()
	}

	fn realm_in_use_weight() -> Weight {
		T::DbWeight::get().reads(2)
	}

	fn subscription_erased(subscription: SubscriptionId) -> Weight {
		match Consents::<T>::take(subscription) {
			Some(consents) => {
				let count = consents.len() as u32;
				Self::deposit_event(Event::ConsentsErased { subscription, count });
				T::WeightInfo::erase_consents()
			},
			None => T::DbWeight::get().reads_writes(1, 1),
		}
	}

	fn subscription_erased_max_weight() -> Weight {
		T::WeightInfo::erase_consents()
	}
}

impl<T: Config> Call<T> {
	/// What the call acts on, for [`crate::ReportDenials`]: the realm or the
	/// subscriber it names. `None` for `remove_expired_roles`, which anyone
	/// may call.
	pub fn scope(&self) -> Option<CallScope> {
		Some(match self {
			Call::grant_role { realm, .. }
			| Call::revoke_role { realm, .. }
			| Call::authorize_application_server { realm, .. }
			| Call::revoke_application_server { realm, .. } => CallScope::Realm(*realm),
			Call::grant_consent { subscriber, .. } | Call::withdraw_consent { subscriber, .. } => {
				CallScope::Subscriber(*subscriber)
			},
			_ => return None,
		})
	}
}
