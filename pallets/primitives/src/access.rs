//! Access policy: roles, application-server authorisations, consents and the
//! decisions the access pallet makes from them.

use crate::{Name, Pseudonym, RealmId, Subject, SubscriptionId, Token};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Weight;

codec_type! {
	/// A role an account holds in a realm. The realm's owner (the identity
	/// pallet's `RealmInfo::owner`) holds every realm-admin right without a
	/// grant.
	#[derive(Copy, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
	pub enum Role {
		/// Grants and revokes roles, authorises application servers,
		/// provisions, manages services and consents, reads the audit trail.
		RealmAdmin,
		/// Provisions subscribers, manages services and records consents.
		Provisioner,
		/// A bridge account: records registrations and submits audit records.
		HssFront,
		/// Reads the audit trail.
		Auditor,
	}
}

impl Role {
	/// Every role, in order.
	pub const ALL: [Role; 4] = [Role::RealmAdmin, Role::Provisioner, Role::HssFront, Role::Auditor];

	/// Whether the role carries `permission` in its realm.
	pub const fn permits(self, permission: Permission) -> bool {
		use Permission::*;
		match self {
			// Changing the realm record itself stays with its owner.
			Role::RealmAdmin => {
				!matches!(permission, AdministerRealm | RecordRegistration | SubmitAudit)
			},
			Role::Provisioner => matches!(
				permission,
				ManageServices | Provision | RotateCredentials | ManageConsents
			),
			Role::HssFront => matches!(permission, RecordRegistration | SubmitAudit),
			Role::Auditor => matches!(permission, ReadAudit),
		}
	}
}

codec_type! {
	/// A permission within a realm.
	#[derive(Copy)]
	pub enum Permission {
		/// Change the realm itself (owner, name).
		AdministerRealm,
		/// Create, change and remove service profiles, shared iFC sets,
		/// application servers and charging information.
		ManageServices,
		/// Create, change, link and erase subscriptions, IMPIs and IMPUs.
		Provision,
		/// Bump an IMPI's credential epoch after its keys rotated in the
		/// vault.
		RotateCredentials,
		/// Record registration state and S-CSCF assignments (HSS fronts).
		RecordRegistration,
		/// Grant and revoke roles and application-server authorisations.
		ManageRoles,
		/// Record and withdraw subscribers' consents.
		ManageConsents,
		/// Submit audit records (HSS fronts).
		SubmitAudit,
		/// Read the audit trail of the realm's subscribers.
		ReadAudit,
	}
}

impl Permission {
	/// Every permission, in order.
	pub const ALL: [Permission; 9] = [
		Permission::AdministerRealm,
		Permission::ManageServices,
		Permission::Provision,
		Permission::RotateCredentials,
		Permission::RecordRegistration,
		Permission::ManageRoles,
		Permission::ManageConsents,
		Permission::SubmitAudit,
		Permission::ReadAudit,
	];
}

/// SHA-256 of the DER certificate a peer presents in its TLS handshake.
pub type CertFingerprint = [u8; 32];

codec_type! {
	/// The user data an application server asks for over Sh: the
	/// `Data-Reference` AVP (3GPP TS 29.328), whose value is also the SCALE
	/// index here and the bit in [`ShDataSet`].
	#[derive(Copy)]
	pub enum ShData {
		/// Transparent data the AS stores for the user.
		#[codec(index = 0)]
		RepositoryData,
		/// The public identities of the user.
		#[codec(index = 10)]
		ImsPublicIdentity,
		/// IMS registration state.
		#[codec(index = 11)]
		ImsUserState,
		/// The serving S-CSCF's name.
		#[codec(index = 12)]
		ScscfName,
		/// The iFCs that point at the asking AS.
		#[codec(index = 13)]
		InitialFilterCriteria,
		/// Location in the CS or PS domain.
		#[codec(index = 14)]
		LocationInformation,
		/// CS or PS domain state.
		#[codec(index = 15)]
		UserState,
		/// Charging function addresses.
		#[codec(index = 16)]
		ChargingInformation,
		/// The MSISDN.
		#[codec(index = 17)]
		Msisdn,
		/// Activation state of a public service identity.
		#[codec(index = 18)]
		PsiActivation,
		/// Dynamic service activation information.
		#[codec(index = 19)]
		Dsai,
		/// Repository data of the alias group.
		#[codec(index = 20)]
		AliasesRepositoryData,
	}
}

impl ShData {
	/// Every kind, in Data-Reference order.
	pub const ALL: [ShData; 12] = [
		ShData::RepositoryData,
		ShData::ImsPublicIdentity,
		ShData::ImsUserState,
		ShData::ScscfName,
		ShData::InitialFilterCriteria,
		ShData::LocationInformation,
		ShData::UserState,
		ShData::ChargingInformation,
		ShData::Msisdn,
		ShData::PsiActivation,
		ShData::Dsai,
		ShData::AliasesRepositoryData,
	];

	/// The `Data-Reference` AVP value.
	pub const fn data_reference(self) -> u32 {
		match self {
			ShData::RepositoryData => 0,
			ShData::ImsPublicIdentity => 10,
			ShData::ImsUserState => 11,
			ShData::ScscfName => 12,
			ShData::InitialFilterCriteria => 13,
			ShData::LocationInformation => 14,
			ShData::UserState => 15,
			ShData::ChargingInformation => 16,
			ShData::Msisdn => 17,
			ShData::PsiActivation => 18,
			ShData::Dsai => 19,
			ShData::AliasesRepositoryData => 20,
		}
	}

	/// The kind a `Data-Reference` AVP value names, if known.
	pub fn from_data_reference(value: u32) -> Option<ShData> {
		ShData::ALL.into_iter().find(|data| data.data_reference() == value)
	}

	/// Its bit in [`ShDataSet`].
	pub const fn bit(self) -> u32 {
		1 << self.data_reference()
	}
}

codec_type! {
	/// A set of [`ShData`] kinds: bit `n` is Data-Reference `n`.
	#[derive(Copy, Default)]
	pub struct ShDataSet(pub u32);
}

impl ShDataSet {
	/// Every bit a known kind uses.
	pub const KNOWN: u32 = 0x001f_fc01;

	/// The set holding exactly `kinds`.
	pub fn of(kinds: &[ShData]) -> Self {
		ShDataSet(kinds.iter().fold(0, |mask, kind| mask | kind.bit()))
	}

	/// Whether `kind` is in the set.
	pub const fn contains(self, kind: ShData) -> bool {
		self.0 & kind.bit() != 0
	}

	/// Whether every bit set belongs to a known kind.
	pub const fn is_known(self) -> bool {
		self.0 & !Self::KNOWN == 0
	}
}

codec_type! {
	/// The legal ground for processing a subscriber's data for a purpose
	/// (GDPR Art. 6(1)).
	#[derive(Copy)]
	pub enum LawfulBasis {
		/// (a) The subscriber consented (Art. 7 applies).
		Consent,
		/// (b) Needed to perform the subscriber's contract.
		Contract,
		/// (c) A legal obligation of the operator.
		LegalObligation,
		/// (d) The vital interests of the subscriber or another person.
		VitalInterests,
		/// (e) A task in the public interest.
		PublicTask,
		/// (f) The operator's legitimate interests.
		LegitimateInterests,
	}
}

/// What a processing purpose is called, e.g. `presence` or `marketing`.
pub type Purpose = Token;

codec_type! {
	/// Who asks the access pallet for a decision.
	pub enum Requester<AccountId> {
		/// A chain account (an operator's tool, a bridge's admin client).
		Account(AccountId),
		/// An application server on the Sh interface, known by its Diameter
		/// identity (`Origin-Host`) and the certificate it presented.
		ApplicationServer {
			/// Its Diameter identity.
			host: Name,
			/// SHA-256 of the certificate it presented.
			fingerprint: CertFingerprint,
		},
	}
}

codec_type! {
	/// What a requester wants to do.
	pub enum Action {
		/// Exercise a permission in the realm (for a subscriber, if given).
		Exercise(Permission),
		/// Read a subscriber's data over Sh (UDR).
		ShRead(ShData),
		/// Update a subscriber's data over Sh (PUR).
		ShUpdate(ShData),
		/// Serve the subscriber for a service indication (ISC, Sh repository
		/// data keyed by `Service-Indication`).
		Serve(Token),
	}
}

codec_type! {
	/// Why the access pallet denied a request.
	#[derive(Copy)]
	pub enum Denial {
		/// No such realm.
		UnknownRealm,
		/// The subscriber pseudonym names no subscription, IMPI or IMPU.
		UnknownSubscriber,
		/// The subscriber belongs to another realm.
		SubscriberInOtherRealm,
		/// The action needs a subscriber and none was given.
		SubscriberRequired,
		/// The account holds no role carrying the permission in the realm.
		MissingRole,
		/// The account's only role carrying the permission has expired.
		GrantExpired,
		/// Only application servers act over Sh and ISC; accounts exercise
		/// permissions.
		WrongRequester,
		/// No authorisation for this application server in the realm.
		UnknownApplicationServer,
		/// The certificate presented is not the one authorised.
		CertificateMismatch,
		/// The application server's authorisation has expired.
		AuthorizationExpired,
		/// The application server may not read or update this data.
		DataNotAuthorized,
		/// The application server may not serve this service indication.
		ServiceNotAuthorized,
		/// The subscriber has no lawful basis recorded for the application
		/// server's purpose (never given, or withdrawn).
		NoConsent,
		/// The subscriber's consent for the purpose has expired.
		ConsentExpired,
		/// The Diameter peer's configured role does not include the request
		/// (an I-CSCF asking MAR or SAR, an S-CSCF asking UAR or LIR).
		PeerRole,
		/// An S-CSCF's SAR named another S-CSCF than itself.
		ServerNameMismatch,
	}
}

codec_type! {
	/// What a call acts on: a realm, or a subscriber (a subscription, IMPI or
	/// IMPU pseudonym) whose realm the directory knows.
	#[derive(Copy)]
	pub enum CallScope {
		/// A realm, named by the call.
		Realm(RealmId),
		/// A subscriber, named by the call.
		Subscriber(Pseudonym),
	}
}

/// What the access pallet needs to know of the subscriber model: answered by
/// the identity pallet.
pub trait Directory<AccountId> {
	/// The realm's owner, or `None` if there is no such realm.
	fn realm_owner(realm: RealmId) -> Option<AccountId>;
	/// The realm and subscription a subscription, IMPI or IMPU pseudonym
	/// belongs to.
	fn subscription_of(subscriber: Pseudonym) -> Option<(RealmId, SubscriptionId)>;
	/// The realm of a subscriber subject (a subscription, IMPI or IMPU, a
	/// consent's subscription), read from the one record its kind names;
	/// `None` for another subject, or one the directory does not hold.
	fn realm_of(subject: &Subject<AccountId>) -> Option<RealmId>;
}

/// Knows nothing.
impl<AccountId> Directory<AccountId> for () {
	fn realm_owner(_: RealmId) -> Option<AccountId> {
		None
	}
	fn subscription_of(_: Pseudonym) -> Option<(RealmId, SubscriptionId)> {
		None
	}
	fn realm_of(_: &Subject<AccountId>) -> Option<RealmId> {
		None
	}
}

/// Told by the identity pallet before a realm goes and after a subscription
/// was erased, so that records hanging from them go too.
pub trait IdentityObserver {
	/// Whether other pallets still hold records of the realm; it cannot be
	/// removed then.
	fn realm_in_use(realm: RealmId) -> bool;
	/// The weight of [`Self::realm_in_use`].
	fn realm_in_use_weight() -> Weight;
	/// The subscription was erased: remove what hangs from it; returns the
	/// weight used.
	fn subscription_erased(subscription: SubscriptionId) -> Weight;
	/// The most [`Self::subscription_erased`] may weigh.
	fn subscription_erased_max_weight() -> Weight;
}

/// Nothing depends on realms or subscriptions.
impl IdentityObserver for () {
	fn realm_in_use(_: RealmId) -> bool {
		false
	}
	fn realm_in_use_weight() -> Weight {
		Weight::zero()
	}
	fn subscription_erased(_: SubscriptionId) -> Weight {
		Weight::zero()
	}
	fn subscription_erased_max_weight() -> Weight {
		Weight::zero()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sh_data_indexes_are_data_references() {
		for kind in ShData::ALL {
			assert_eq!(kind.encode(), vec![kind.data_reference() as u8]);
			assert_eq!(ShData::from_data_reference(kind.data_reference()), Some(kind));
		}
		assert_eq!(ShData::from_data_reference(1), None);
		assert_eq!(ShDataSet::of(&ShData::ALL).0, ShDataSet::KNOWN);
		assert!(!ShDataSet(1 << 21).is_known());
	}

	#[test]
	fn roles_split_permissions() {
		// Only the owner changes the realm; only HSS fronts write registrations
		// and audit records; every other permission has a holder.
		for permission in Permission::ALL {
			let holders = Role::ALL.iter().filter(|role| role.permits(permission)).count();
			match permission {
				Permission::AdministerRealm => assert_eq!(holders, 0),
				Permission::RecordRegistration | Permission::SubmitAudit => {
					assert_eq!(holders, 1);
					assert!(Role::HssFront.permits(permission));
				},
				_ => assert!(holders >= 1, "{permission:?}"),
			}
		}
		assert!(!Role::Auditor.permits(Permission::Provision));
		assert!(Role::RealmAdmin.permits(Permission::ReadAudit));
	}
}
