//! The read side of the subscriber model: the views the runtime API
//! [`IdentityApi`] answers UAR, MAR, SAR and LIR with.

use super::*;

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

sp_api::decl_runtime_apis! {
	/// Read access to the subscriber model, one call per Cx request type.
	/// The bridge answers from a finalized block's state.
	pub trait IdentityApi {
		/// UAR: the IMPU, after checking the IMPI exists and is linked to it.
		fn user_authorization(impi: ImpiId, impu: ImpuId) -> Result<ImpuView, LookupError>;
		/// MAR: the IMPI's schemes and credential epoch, after the same
		/// checks.
		fn authentication(impi: ImpiId, impu: ImpuId) -> Result<AuthenticationView, LookupError>;
		/// SAR: the user data of the IMPU's implicit set; with an IMPI, also
		/// checks that it is linked to the IMPU.
		fn server_assignment(
			impi: Option<ImpiId>,
			impu: ImpuId,
		) -> Result<ServerAssignmentView, LookupError>;
		/// LIR: the IMPU's registration state and S-CSCF.
		fn location(impu: ImpuId) -> Result<ImpuView, LookupError>;
	}

	/// Policy decisions, asked by the bridge before it serves an Sh request
	/// or a provisioning request.
	pub trait AccessApi<AccountId: codec::Codec> {
		/// Whether `requester` may do `action` in `realm` (for `subscriber`,
		/// a subscription, IMPI or IMPU pseudonym, if given), and if not, why.
		fn decide(
			requester: Requester<AccountId>,
			realm: RealmId,
			subscriber: Option<Pseudonym>,
			action: Action,
		) -> Result<(), Denial>;
	}

	/// The audit trail's commitments, read by the node's index and RPC and by
	/// anyone checking a record's proof.
	pub trait AuditApi<AccountId, BlockNumber>
	where
		AccountId: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// Every realm's trail.
		fn trails() -> Vec<(RealmId, audit::Trail)>;
		/// The commitment of batch `batch` of `realm`.
		fn batch(realm: RealmId, batch: u64) -> Option<audit::BatchCommitment<BlockNumber>>;
		/// The sequence number the front `submitter` must use next.
		fn next_sequence(submitter: AccountId) -> u64;
	}
}
