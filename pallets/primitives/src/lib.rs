//! Shared types of the IMS ledger.
//!
//! - The subscriber model as the identity pallet stores it and the bridge
//!   reads it: pseudonymous identifiers, authentication schemes, public
//!   identity attributes, service profiles with initial filter criteria
//!   (3GPP TS 29.228 annex B, the `User-Data` of a Cx SAA).
//! - The glue traits through which the pallets meet: [`Authorizer`] (who may
//!   do what in a realm), [`AuditSink`] (every change leaves a record),
//!   [`Directory`] (what the subscriber model holds) and [`IdentityObserver`]
//!   (what hangs from a realm or subscription).
//! - [`audit`]: the audit trail's records, batch commitments (Merkle roots,
//!   a hash chain per realm) and record proofs, with [`AuditApi`].
//! - [`IdentityApi`], which the bridge answers UAR, MAR, SAR and LIR from,
//!   and [`AccessApi`], the access policy's decisions for callers off chain.
//! - The access policy's vocabulary: [`Role`], [`Permission`], [`Requester`],
//!   [`Action`], [`Denial`], [`ShData`], [`LawfulBasis`].
//!
//! Nothing here holds a secret or a cleartext identity: IMPIs, IMPUs and
//! subscriptions are known on chain only by a 32-byte pseudonym that the
//! operator computes off chain (a hash of the identity with a per-subscriber
//! salt kept in its vault).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ConstU32, H256};
use sp_runtime::BoundedVec;

pub mod limits;

use limits::*;

/// A pseudonymous 32-byte identifier computed off chain; never a cleartext
/// identity.
pub type Pseudonym = H256;
/// Pseudonym of an IMS subscription (IMSU).
pub type SubscriptionId = Pseudonym;
/// Pseudonym of a private user identity (IMPI).
pub type ImpiId = Pseudonym;
/// Pseudonym of a public user identity or public service identity (IMPU).
pub type ImpuId = Pseudonym;
/// A home network domain, numbered by the chain when governance creates it.
pub type RealmId = u32;
/// A service profile, numbered by the operator within its realm.
pub type ProfileId = u32;
/// An application server, numbered by the operator within its realm.
pub type ApplicationServerId = u32;
/// A charging information record, numbered by the operator within its realm.
pub type ChargingId = u32;
/// A shared iFC set, numbered by the operator within its realm.
pub type IfcSetId = u32;
/// An implicit registration set, numbered by the operator within a
/// subscription.
pub type ImplicitSetId = u32;

/// A domain name, SIP URI or Diameter identity (operator data, in clear).
pub type Name = BoundedVec<u8, ConstU32<MAX_NAME_LEN>>;
/// A SIP method, header name or SDP line type.
pub type Token = BoundedVec<u8, ConstU32<MAX_TOKEN_LEN>>;
/// A regular expression or a service-information string.
pub type Text = BoundedVec<u8, ConstU32<MAX_TEXT_LEN>>;
/// A roaming allow-list: the visited network identifiers a public identity
/// may register from (the home network is always allowed).
pub type VisitedNetworks = BoundedVec<Name, ConstU32<MAX_VISITED_NETWORKS>>;
/// The initial filter criteria of a profile or shared set.
pub type Ifcs = BoundedVec<InitialFilterCriterion, ConstU32<MAX_IFCS>>;
/// The shared iFC sets a profile refers to.
pub type SharedIfcSetIds = BoundedVec<IfcSetId, ConstU32<MAX_SHARED_IFC_SETS>>;

macro_rules! codec_type {
	($(#[$attr:meta])* $vis:vis $kind:ident $name:ident $($body:tt)*) => {
		$(#[$attr])*
		#[derive(
			Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq,
			Debug,
		)]
		$vis $kind $name $($body)*
	};
}

mod access;
pub use access::*;
mod apis;
pub mod audit;
pub use apis::*;
mod glue;
pub use glue::*;
#[cfg(feature = "frame")]
pub mod origin;

codec_type! {
	/// An authentication scheme an IMPI may use (SIP-Authentication-Scheme).
	#[derive(Copy, PartialOrd, Ord)]
	pub enum AuthScheme {
		/// `Digest-AKAv1-MD5` (3GPP TS 33.203, Milenage).
		AkaV1Md5,
		/// `Digest-AKAv2-MD5`.
		AkaV2Md5,
		/// `Digest-MD5`: the S-CSCF receives the password.
		DigestMd5,
		/// `Digest` (RFC 2617 through the HSS).
		Digest,
		/// `HTTP_DIGEST_MD5`.
		HttpDigestMd5,
		/// `Early-IMS-Security` (3GPP TR 33.978).
		EarlyIms,
		/// `NASS-Bundled`.
		NassBundled,
		/// `SIP Digest` (TS 29.228 SIP-Digest-Authenticate): the S-CSCF sees
		/// only HA1.
		SipDigest,
	}
}

impl AuthScheme {
	/// Every scheme, in bit order.
	pub const ALL: [AuthScheme; 8] = [
		AuthScheme::AkaV1Md5,
		AuthScheme::AkaV2Md5,
		AuthScheme::DigestMd5,
		AuthScheme::Digest,
		AuthScheme::HttpDigestMd5,
		AuthScheme::EarlyIms,
		AuthScheme::NassBundled,
		AuthScheme::SipDigest,
	];

	/// The scheme's bit in [`AuthSchemes`]; the same values as FHoSS's
	/// `impi.auth_scheme` column, so that imports carry the mask unchanged.
	pub const fn bit(self) -> u32 {
		match self {
			AuthScheme::AkaV1Md5 => 1,
			AuthScheme::AkaV2Md5 => 2,
			AuthScheme::DigestMd5 => 4,
			AuthScheme::Digest => 8,
			AuthScheme::HttpDigestMd5 => 16,
			AuthScheme::EarlyIms => 32,
			AuthScheme::NassBundled => 64,
			AuthScheme::SipDigest => 128,
		}
	}

	/// The scheme's name in a SIP-Authentication-Scheme AVP.
	pub const fn diameter_name(self) -> &'static str {
		match self {
			AuthScheme::AkaV1Md5 => "Digest-AKAv1-MD5",
			AuthScheme::AkaV2Md5 => "Digest-AKAv2-MD5",
			AuthScheme::DigestMd5 => "Digest-MD5",
			AuthScheme::Digest => "Digest",
			AuthScheme::HttpDigestMd5 => "HTTP_DIGEST_MD5",
			AuthScheme::EarlyIms => "Early-IMS-Security",
			AuthScheme::NassBundled => "NASS-Bundled",
			AuthScheme::SipDigest => "SIP Digest",
		}
	}
}

codec_type! {
	/// A set of [`AuthScheme`]s as a bit mask (FHoSS `impi.auth_scheme`).
	/// New schemes take the next free bit.
	#[derive(Copy, Default)]
	pub struct AuthSchemes(pub u32);
}

impl AuthSchemes {
	/// Every bit a known scheme uses.
	pub const KNOWN: u32 = 0xff;

	/// The set holding exactly `schemes`.
	pub fn of(schemes: &[AuthScheme]) -> Self {
		AuthSchemes(schemes.iter().fold(0, |mask, scheme| mask | scheme.bit()))
	}

	/// Whether `scheme` is in the set.
	pub const fn contains(self, scheme: AuthScheme) -> bool {
		self.0 & scheme.bit() != 0
	}

	/// Whether the set is empty.
	pub const fn is_empty(self) -> bool {
		self.0 == 0
	}

	/// Whether every bit set belongs to a known scheme.
	pub const fn is_known(self) -> bool {
		self.0 & !Self::KNOWN == 0
	}

	/// The schemes in the set, in bit order.
	pub fn schemes(self) -> impl Iterator<Item = AuthScheme> {
		AuthScheme::ALL.into_iter().filter(move |scheme| self.contains(*scheme))
	}
}

codec_type! {
	/// What kind of identity an IMPU is (FHoSS `impu.type`).
	#[derive(Copy)]
	pub enum ImpuKind {
		/// A public user identity.
		PublicIdentity,
		/// A distinct public service identity.
		DistinctPsi,
		/// A wildcarded public service identity.
		WildcardPsi,
	}
}

codec_type! {
	/// The IMS registration state of a public identity (TS 29.228).
	#[derive(Copy, Default)]
	pub enum RegistrationState {
		/// Not registered and no S-CSCF holds it.
		#[default]
		NotRegistered,
		/// Registered at the assigned S-CSCF.
		Registered,
		/// Not registered, but an S-CSCF is assigned to serve it
		/// (unregistered services).
		Unregistered,
	}
}

codec_type! {
	/// What the S-CSCF does when an application server does not answer.
	#[derive(Copy)]
	pub enum DefaultHandling {
		/// Continue the session without the server.
		SessionContinued,
		/// Terminate the session.
		SessionTerminated,
	}
}

codec_type! {
	/// The session case a trigger applies to (TS 29.228 `SessionCase`).
	#[derive(Copy)]
	pub enum SessionCase {
		/// 0: originating, registered.
		Originating,
		/// 1: terminating, registered.
		TerminatingRegistered,
		/// 2: terminating, unregistered.
		TerminatingUnregistered,
		/// 3: originating, unregistered.
		OriginatingUnregistered,
		/// 4: originating for call diversion (CDIV).
		OriginatingCdiv,
	}
}

codec_type! {
	/// Which registration state an iFC applies in (`ProfilePartIndicator`).
	#[derive(Copy)]
	pub enum ProfilePart {
		/// Only while registered.
		Registered,
		/// Only while unregistered.
		Unregistered,
	}
}

codec_type! {
	/// The condition of one service point trigger.
	pub enum SptCondition {
		/// The Request-URI matches a regular expression.
		RequestUri(Text),
		/// The request's method.
		Method(Token),
		/// A header is present, or its content matches a regular expression.
		SipHeader {
			/// Header name.
			header: Token,
			/// Regular expression over its content; `None` = present.
			content: Option<Text>,
		},
		/// The session case.
		SessionCase(SessionCase),
		/// An SDP line (e.g. `m`), optionally matching a regular expression.
		SessionDescription {
			/// SDP line type.
			line: Token,
			/// Regular expression over its content; `None` = present.
			content: Option<Text>,
		},
	}
}

codec_type! {
	/// One service point trigger of a trigger point.
	pub struct ServicePointTrigger {
		/// `ConditionNegated`.
		pub negated: bool,
		/// The `Group`s the trigger belongs to (CNF: disjunction groups,
		/// DNF: conjunction groups).
		pub groups: BoundedVec<u32, ConstU32<MAX_SPTS>>,
		/// What it tests.
		pub condition: SptCondition,
	}
}

codec_type! {
	/// A trigger point: service point triggers in conjunctive or disjunctive
	/// normal form.
	pub struct TriggerPoint {
		/// `ConditionTypeCNF`: true = conjunctive normal form, false = DNF.
		pub condition_type_cnf: bool,
		/// The service point triggers (at least one).
		pub spts: BoundedVec<ServicePointTrigger, ConstU32<MAX_SPTS>>,
	}
}

codec_type! {
	/// One initial filter criterion.
	pub struct InitialFilterCriterion {
		/// `Priority`: lower runs first; unique within a profile and the
		/// shared sets it uses.
		pub priority: u32,
		/// When to involve the server; `None` = always (unconditional).
		pub trigger_point: Option<TriggerPoint>,
		/// The application server of the realm that serves it.
		pub application_server: ApplicationServerId,
		/// The registration state the criterion applies in; `None` = both.
		pub profile_part: Option<ProfilePart>,
	}
}

codec_type! {
	/// An application server of a realm.
	pub struct ApplicationServer {
		/// Its SIP URI (`ServerName`).
		pub server_name: Name,
		/// What to do when it does not answer.
		pub default_handling: DefaultHandling,
		/// `ServiceInfo` passed to it in the third-party REGISTER body.
		pub service_info: Option<Text>,
		/// Include the REGISTER request in third-party registrations.
		pub include_register_request: bool,
		/// Include the REGISTER response in third-party registrations.
		pub include_register_response: bool,
	}
}

codec_type! {
	/// Charging function addresses (TS 29.229 `Charging-Information`).
	pub struct ChargingInformation {
		/// Primary event charging function.
		pub primary_ecf: Option<Name>,
		/// Secondary event charging function.
		pub secondary_ecf: Option<Name>,
		/// Primary charging collection function.
		pub primary_ccf: Option<Name>,
		/// Secondary charging collection function.
		pub secondary_ccf: Option<Name>,
	}
}

impl ChargingInformation {
	/// Whether no function is named at all.
	pub fn is_empty(&self) -> bool {
		self.primary_ecf.is_none()
			&& self.secondary_ecf.is_none()
			&& self.primary_ccf.is_none()
			&& self.secondary_ccf.is_none()
	}
}

codec_type! {
	/// A service profile: what the S-CSCF downloads on SAR.
	pub struct ServiceProfile {
		/// The operator's name for it.
		pub name: Name,
		/// Its own initial filter criteria.
		pub ifcs: Ifcs,
		/// Shared iFC sets it includes (`Extension/SharedIFCSetID`).
		pub shared_ifc_sets: SharedIfcSetIds,
		/// `CoreNetworkServicesAuthorization` subscribed media profile.
		pub subscribed_media_profile: Option<u32>,
	}
}

codec_type! {
	/// What a record is about: what a change was made to, or whom a
	/// front's answer concerned.
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
		/// An identity the realm does not hold (never provisioned, or
		/// erased since), by an unlinkable pseudonym its HSS front derives
		/// from it: requests about unknown users are audited without naming
		/// them.
		Unknown(Pseudonym),
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
		/// A subscription imported whole, with this many private and public
		/// identities (the event of the import names them).
		Imported {
			/// Private identities.
			impis: u32,
			/// Public identities.
			impus: u32,
		},
	}
}

codec_type! {
	/// Why a runtime API lookup found nothing to answer with.
	#[derive(Copy)]
	pub enum LookupError {
		/// No such IMPI (Diameter 5001 user unknown).
		UnknownImpi,
		/// No such IMPU (5001 user unknown).
		UnknownImpu,
		/// Both exist but are not linked (5002 identities don't match).
		NotLinked,
	}
}

codec_type! {
	/// Registration state and the S-CSCF holding it.
	#[derive(Default)]
	pub struct RegistrationView {
		/// The state.
		pub state: RegistrationState,
		/// The assigned S-CSCF (`Server-Name`), if any.
		pub scscf: Option<Name>,
	}
}

/// A public identity as UAR and LIR need it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ImpuView {
	/// Its pseudonym.
	pub impu: ImpuId,
	/// Its realm.
	pub realm: RealmId,
	/// The realm's name (the home network).
	pub realm_name: Name,
	/// Its subscription.
	pub subscription: SubscriptionId,
	/// What kind of identity it is.
	pub kind: ImpuKind,
	/// Barred.
	pub barred: bool,
	/// May register.
	pub can_register: bool,
	/// Its implicit registration set, if any.
	pub implicit_set: Option<ImplicitSetId>,
	/// Whether every identity of its implicit set (itself alone if none) is
	/// barred: then registration must be refused.
	pub all_barred: bool,
	/// Visited networks it may register from.
	pub roaming: VisitedNetworks,
	/// Registration state and S-CSCF.
	pub registration: RegistrationView,
}

/// An IMPI as MAR needs it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AuthenticationView {
	/// The public identity of the request.
	pub impu: ImpuView,
	/// Its pseudonym.
	pub impi: ImpiId,
	/// Schemes it may use.
	pub schemes: AuthSchemes,
	/// The scheme to use when the request names none ("Unknown").
	pub default_scheme: AuthScheme,
	/// Bumped whenever its credentials rotate in the vault.
	pub credential_epoch: u32,
}

/// An initial filter criterion with its application server resolved.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct IfcView {
	/// Priority.
	pub priority: u32,
	/// Trigger point; `None` = unconditional.
	pub trigger_point: Option<TriggerPoint>,
	/// The application server's number in the realm.
	pub application_server_id: ApplicationServerId,
	/// The application server.
	pub application_server: ApplicationServer,
	/// Registration state it applies in.
	pub profile_part: Option<ProfilePart>,
}

/// One public identity inside a downloaded service profile.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PublicIdentityView {
	/// Its pseudonym.
	pub impu: ImpuId,
	/// What kind of identity it is.
	pub kind: ImpuKind,
	/// Barred (`BarringIndication`).
	pub barred: bool,
}

/// A service profile with the identities of the implicit set that use it
/// and every iFC (its own and its shared sets') resolved, by priority.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ProfileView {
	/// The profile's number in the realm.
	pub id: ProfileId,
	/// Its name.
	pub name: Name,
	/// The implicit-set identities that use it.
	pub identities: Vec<PublicIdentityView>,
	/// Every criterion, ascending priority.
	pub ifcs: Vec<IfcView>,
	/// Shared iFC set numbers it refers to.
	pub shared_ifc_sets: Vec<IfcSetId>,
	/// Subscribed media profile.
	pub subscribed_media_profile: Option<u32>,
}

/// Everything a SAR answer carries.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ServerAssignmentView {
	/// The public identity of the request.
	pub impu: ImpuView,
	/// The IMPIs linked to it (`Associated-Identities`).
	pub associated_impis: Vec<ImpiId>,
	/// One entry per service profile used in its implicit set; the
	/// requested identity's profile first.
	pub profiles: Vec<ProfileView>,
	/// Its charging information, if any.
	pub charging: Option<ChargingInformation>,
}

/// One page of [`IdentityApi::server_assignment_page`]: the SAR views of
/// consecutive public identities in storage order.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ServerAssignmentPage {
	/// Each identity with its view.
	pub views: Vec<(ImpuId, ServerAssignmentView)>,
	/// The identity to ask for the next page after; `None` once the last
	/// identity was read.
	pub next: Option<ImpuId>,
}

#[cfg(test)]
mod tests;
