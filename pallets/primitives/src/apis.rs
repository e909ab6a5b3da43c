//! The runtime API the bridge answers Cx from: [`IdentityApi`], over the
//! views of the crate root (whose metadata paths stay there).

use super::*;

sp_api::decl_runtime_apis! {
	/// Read access to the subscriber model, one call per Cx request type,
	/// and (version 2) many views per call for an index to load and follow.
	/// The bridge answers from a finalized block's state.
	#[api_version(2)]
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
		/// The SAR views of up to `count` public identities (at most
		/// [`MAX_VIEWS_PER_CALL`], and none added once the views encode to
		/// [`MAX_VIEW_BYTES_PER_CALL`]) in storage order, from the first or
		/// from the one after `after`: an index reads the whole model page
		/// by page.
		#[api_version(2)]
		fn server_assignment_page(after: Option<ImpuId>, count: u32) -> ServerAssignmentPage;
		/// The SAR view of each of the leading identities of `impus`, as
		/// `server_assignment(None, impu)` answers it: at most
		/// [`MAX_VIEWS_PER_CALL`], and none added once the answers encode
		/// to [`MAX_VIEW_BYTES_PER_CALL`]. Ask again for the rest.
		#[api_version(2)]
		fn server_assignments(impus: Vec<ImpuId>) -> Vec<Result<ServerAssignmentView, LookupError>>;
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
