//! The glue traits through which the pallets meet ([`Authorizer`],
//! [`AuditSink`]), and what a change recorded in the audit trail was made to
//! ([`Subject`]) and what it was ([`Change`]).

use super::*;

/// Who may do what, per realm: asked by the pallets before a change,
/// answered by the access-policy pallet (or, until it is wired, a simple
/// rule such as "the realm's owner").
pub trait Authorizer<AccountId> {
	/// Whether `who` holds `permission` in `realm` now.
	fn is_authorized(who: &AccountId, realm: RealmId, permission: Permission) -> bool;
}

/// Denies every signed account: only governance (root) can act.
impl<AccountId> Authorizer<AccountId> for () {
	fn is_authorized(_: &AccountId, _: RealmId, _: Permission) -> bool {
		false
	}
}

/// Receives a record of every change, for the audit trail: implemented by
/// the audit pallet; `()` drops them.
pub trait AuditSink<AccountId> {
	/// `actor` (`None`: governance) made `change` to `subject` in `realm`.
	fn record(
		actor: Option<&AccountId>,
		realm: RealmId,
		subject: Subject<AccountId>,
		change: Change,
	);
}

impl<AccountId> AuditSink<AccountId> for () {
	fn record(_: Option<&AccountId>, _: RealmId, _: Subject<AccountId>, _: Change) {}
}

codec_type! {
	/// What a change was made to.
	pub enum Subject<AccountId> {
		/// The realm record itself.
		Realm,
		/// A subscription.
		Subscription(SubscriptionId),
		/// A private identity.
		Impi(ImpiId),
		/// A public identity.
		Impu(ImpuId),
		/// A service profile.
		ServiceProfile(ProfileId),
		/// A shared iFC set.
		IfcSet(IfcSetId),
		/// An application server.
		ApplicationServer(ApplicationServerId),
		/// A charging information record.
		Charging(ChargingId),
		/// An account's roles in the realm.
		Member(AccountId),
		/// An application server's authorisation, by Diameter identity.
		Peer(Name),
		/// A subscription's lawful basis for a purpose.
		Consent(SubscriptionId, Purpose),
		/// A call, by pallet and call index in the runtime.
		Call {
			/// The pallet's index.
			pallet: u8,
			/// The call's index in the pallet.
			call: u8,
		},
	}
}

codec_type! {
	/// What kind of change was made.
	#[derive(Copy)]
	pub enum Change {
		/// Created.
		Created,
		/// Attributes changed.
		Updated,
		/// Linked to the IMPI or IMPU given.
		Linked(Pseudonym),
		/// Unlinked from the IMPI or IMPU given.
		Unlinked(Pseudonym),
		/// Barred.
		Barred,
		/// Barring lifted.
		Unbarred,
		/// Removed.
		Removed,
		/// Erased with everything that hung from it.
		Erased,
		/// Credential epoch bumped.
		CredentialsRotated,
		/// Registration state recorded.
		Registration(RegistrationState),
		/// A role granted (or its expiry changed).
		Granted(Role),
		/// A role revoked, renounced or removed after it expired.
		Revoked(Role),
		/// Refused for lack of a right: the error, by pallet index and error
		/// index in that pallet.
		Denied {
			/// The index of the pallet whose error it is.
			module: u8,
			/// The error's index in that pallet.
			error: u8,
		},
	}
}
