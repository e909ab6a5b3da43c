//! Storage records of the access policy.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::{ConstU32, Get},
	BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use ims_primitives::{CertFingerprint, LawfulBasis, Purpose, Role, ShDataSet, Token};
use scale_info::TypeInfo;
use sp_core::H256;

/// Whether something that expires at `expires_at` still holds at block `now`:
/// it lapses at the start of block `expires_at`.
pub fn holds_at<BlockNumber: PartialOrd>(
	expires_at: &Option<BlockNumber>,
	now: &BlockNumber,
) -> bool {
	expires_at.as_ref().is_none_or(|at| now < at)
}

/// One role held by an account in a realm.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct RoleGrant<BlockNumber> {
	/// The role.
	pub role: Role,
	/// The block the grant was made (or last renewed) in.
	pub since: BlockNumber,
	/// The block from which the grant no longer holds; `None`: until revoked.
	pub expires_at: Option<BlockNumber>,
}

/// The roles of one account in one realm: at most one grant per role,
/// sorted by role.
pub type RoleGrants<BlockNumber> = BoundedVec<RoleGrant<BlockNumber>, ConstU32<4>>;

/// What an application server may do in a realm (the I-S interface): serve
/// the listed service indications over ISC and read or update the listed
/// data over Sh, for subscribers with a lawful basis for `purpose`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxServices))]
#[codec(mel_bound(BlockNumber: MaxEncodedLen))]
pub struct AsAuthorization<
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxServices: Get<u32>,
> {
	/// SHA-256 of the certificate the server must present.
	pub fingerprint: CertFingerprint,
	/// The processing purpose it acts for; every subscriber it serves needs
	/// an unexpired lawful basis recorded for this purpose.
	pub purpose: Purpose,
	/// Service indications it may serve (`Service-Indication` AVP values).
	pub services: BoundedVec<Token, MaxServices>,
	/// Data it may read with UDR.
	pub sh_read: ShDataSet,
	/// Data it may update with PUR.
	pub sh_update: ShDataSet,
	/// The block from which the authorisation no longer holds.
	pub expires_at: Option<BlockNumber>,
}

/// A lawful basis recorded for a subscription and a purpose (GDPR Art. 6,
/// and Art. 7 when the basis is consent).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ConsentRecord<BlockNumber> {
	/// What the data is processed for.
	pub purpose: Purpose,
	/// On what legal ground.
	pub basis: LawfulBasis,
	/// The block it was recorded in.
	pub granted_at: BlockNumber,
	/// The block from which it no longer holds; `None`: until withdrawn.
	pub expires_at: Option<BlockNumber>,
	/// Hash of the evidence kept off chain (the signed form, the recording,
	/// the contract clause).
	pub evidence: H256,
}

/// What can be wrong with the content of an [`AsAuthorization`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AuthorizationDefect {
	/// The purpose is empty.
	EmptyPurpose,
	/// A service indication is empty.
	EmptyService,
	/// A service indication is listed twice.
	DuplicateService,
	/// An Sh data set holds a bit that is no Data-Reference value.
	UnknownShData,
	/// No service, nothing to read, nothing to update.
	NothingAuthorized,
}

impl<BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug, MaxServices: Get<u32>>
	AsAuthorization<BlockNumber, MaxServices>
{
	/// The first defect of the content, if any (the expiry is checked against
	/// the chain's time elsewhere).
	pub fn defect(&self) -> Option<AuthorizationDefect> {
		use AuthorizationDefect::*;
		let services = &self.services;
		if self.purpose.is_empty() {
			return Some(EmptyPurpose);
		}
		if services.iter().any(|service| service.is_empty()) {
			return Some(EmptyService);
		}
		let mut seen = services.iter().enumerate();
		if seen.any(|(index, service)| {
			services.iter().skip(index.saturating_add(1)).any(|s| s == service)
		}) {
			return Some(DuplicateService);
		}
		if !self.sh_read.is_known() || !self.sh_update.is_known() {
			return Some(UnknownShData);
		}
		if services.is_empty() && self.sh_read.0 == 0 && self.sh_update.0 == 0 {
			return Some(NothingAuthorized);
		}
		None
	}
}

/// An account's appointment of an agent that acts in its name.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Appointment<BlockNumber> {
	/// The block the appointment was made (or last renewed) in.
	pub since: BlockNumber,
	/// The block from which it no longer holds; `None`: until dismissed.
	pub expires_at: Option<BlockNumber>,
}
