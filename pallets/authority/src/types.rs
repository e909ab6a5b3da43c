//! The data model of the validator set: region codes and rules, candidates,
//! bond ledgers, the governance parameters and the seats of a session.

use alloc::string::String;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound,
	PartialEqNoBound,
};
use scale_info::TypeInfo;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sp_runtime::{PerThing, Perbill};

/// A session's index, as `pallet-session` counts them.
pub type SessionIndex = u32;

/// A two-letter code: an ISO 3166-1 alpha-2 country (`DE`, `US`) or a region
/// group (`EU`, which ISO 3166-1 reserves for the European Union).
///
/// Only upper-case ASCII letters are valid; in JSON (genesis presets, chain
/// specs) a code is written as its two-letter string.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
)]
pub struct Code(pub [u8; 2]);

impl Code {
	/// Whether both letters are upper-case ASCII letters.
	pub fn is_valid(&self) -> bool {
		self.0.iter().all(u8::is_ascii_uppercase)
	}

	/// The code of two letters, without validation.
	pub const fn new(code: &[u8; 2]) -> Self {
		Self(*code)
	}
}

impl Serialize for Code {
	fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		match core::str::from_utf8(&self.0) {
			Ok(text) => serializer.serialize_str(text),
			Err(_) => Err(serde::ser::Error::custom("a region code is two ASCII letters")),
		}
	}
}

impl<'de> Deserialize<'de> for Code {
	fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
		let text = String::deserialize(deserializer)?;
		let bytes: [u8; 2] = text
			.as_bytes()
			.try_into()
			.map_err(|_| serde::de::Error::custom("a region code is two letters"))?;
		let code = Code(bytes);
		if code.is_valid() {
			Ok(code)
		} else {
			Err(serde::de::Error::custom("a region code is two upper-case letters"))
		}
	}
}

/// Where a validator runs, as attested by governance when it admits it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct Region {
	/// ISO 3166-1 alpha-2 country code.
	pub country: Code,
	/// Optional region group the country belongs to (e.g. `EU`).
	pub group: Option<Code>,
}

impl Region {
	/// A region in `country`, member of `group`.
	pub const fn new(country: &[u8; 2], group: Option<&[u8; 2]>) -> Self {
		Self {
			country: Code(*country),
			group: match group {
				Some(g) => Some(Code(*g)),
				None => None,
			},
		}
	}

	/// Whether every code is well formed.
	pub fn is_valid(&self) -> bool {
		self.country.is_valid() && self.group.as_ref().is_none_or(Code::is_valid)
	}

	/// Whether `codes` names this region's country or its group.
	pub fn within(&self, codes: &[Code]) -> bool {
		codes.iter().any(|code| *code == self.country || Some(*code) == self.group)
	}
}

/// Where validators may run.
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
	DefaultNoBound,
	Serialize,
	Deserialize,
)]
#[scale_info(skip_type_params(Max))]
#[codec(mel_bound())]
#[serde(bound = "")]
pub enum RegionPolicy<Max: Get<u32>> {
	/// No restriction.
	#[default]
	Anywhere,
	/// Only candidates whose country or region group is listed.
	Only(BoundedVec<Code, Max>),
}

impl<Max: Get<u32>> RegionPolicy<Max> {
	/// Whether a validator in `region` may be selected.
	pub fn allows(&self, region: &Region) -> bool {
		match self {
			Self::Anywhere => true,
			Self::Only(codes) => region.within(codes),
		}
	}

	/// Whether the rule can be satisfied: every code well formed, at least
	/// one code, none twice.
	pub fn is_valid(&self) -> bool {
		match self {
			Self::Anywhere => true,
			Self::Only(codes) => {
				!codes.is_empty()
					&& codes.iter().all(Code::is_valid)
					&& codes
						.iter()
						.enumerate()
						.all(|(i, c)| !codes.iter().skip(i + 1).any(|d| d == c))
			},
		}
	}
}

/// Where a candidate stands.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum Status {
	/// Applied; waits for governance.
	Applied,
	/// Admitted by governance: may be selected.
	Admitted,
	/// Admitted, but excluded for authoring nothing in too many sessions
	/// until it calls `resume`.
	Offline,
}

/// A validator candidate.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Candidate<AccountId> {
	/// The operator running it (the account governance knows the operator
	/// by); at most `max_per_operator` validators of one operator are
	/// selected.
	pub operator: AccountId,
	/// Where it runs.
	pub region: Region,
	/// Applied, admitted or offline.
	pub status: Status,
}

/// Bond on its way back to the free balance.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Unlocking<Balance> {
	/// Amount still held.
	pub amount: Balance,
	/// First session at which it may be withdrawn.
	pub from_session: SessionIndex,
}

/// What an account has bonded.
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
#[scale_info(skip_type_params(MaxChunks))]
#[codec(mel_bound(Balance: MaxEncodedLen))]
pub struct Ledger<Balance, MaxChunks>
where
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxChunks: Get<u32>,
{
	/// Stake counted for selection.
	pub active: Balance,
	/// Unbonded stake, still held until its session.
	pub unlocking: BoundedVec<Unlocking<Balance>, MaxChunks>,
}

/// The rules of selection and liveness, set by governance.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct Parameters<BlockNumber> {
	/// How many validators a session should have (the top candidates by
	/// stake).
	pub desired_validators: u32,
	/// Fewer eligible candidates than this and the current set is kept.
	pub min_validators: u32,
	/// Validators of one operator in one session, at most.
	pub max_per_operator: u32,
	/// The largest share of GRANDPA voting weight one operator may hold;
	/// below one third.
	pub max_operator_share: Perbill,
	/// Sessions without a block authored after which a validator is marked
	/// offline.
	pub offline_after: u32,
	/// Blocks per session.
	pub session_length: BlockNumber,
}

impl<BlockNumber: From<u32> + PartialOrd> Parameters<BlockNumber> {
	/// Whether the parameters can be applied with at most `max_validators`
	/// validators.
	pub fn is_valid(&self, max_validators: u32) -> bool {
		let share = u64::from(self.max_operator_share.deconstruct());
		self.min_validators >= 1
			&& self.min_validators <= self.desired_validators
			&& self.desired_validators <= max_validators
			&& self.max_per_operator >= 1
			&& share >= 1
			&& share.saturating_mul(3) < u64::from(Perbill::ACCURACY)
			&& self.offline_after >= 1
			&& self.session_length >= BlockNumber::from(MIN_SESSION_LENGTH)
	}
}

/// The shortest session: a session must leave room for a GRANDPA round.
pub const MIN_SESSION_LENGTH: u32 = 4;

/// A validator selected for a session.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Seat<AccountId, Balance> {
	/// The validator.
	pub validator: AccountId,
	/// Its operator.
	pub operator: AccountId,
	/// Its active bond when it was selected.
	pub stake: Balance,
}

/// The set planned for a session.
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
#[scale_info(skip_type_params(Max))]
#[codec(mel_bound(AccountId: MaxEncodedLen, Balance: MaxEncodedLen))]
pub struct Plan<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	Max: Get<u32>,
> {
	/// The session it is for.
	pub session: SessionIndex,
	/// Its validators.
	pub seats: BoundedVec<Seat<AccountId, Balance>, Max>,
}

/// Why a session keeps the previous set.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum KeepReason {
	/// Too few admitted, online, bonded candidates with session keys in an
	/// allowed region.
	TooFewEligible {
		/// How many there are.
		eligible: u32,
		/// The configured minimum.
		minimum: u32,
	},
}
