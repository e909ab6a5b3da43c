//! Consensus: timestamps, sessions, Aura block production, GRANDPA finality.
//!
//! `pallet-session` owns the validator set. Aura and GRANDPA receive their
//! authorities from it (as its session handlers) at genesis and at every
//! session change. Until the authority pallet lands, the session manager is
//! `()`: the genesis set stays in place.

use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64},
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::traits::ConvertInto;

use crate::{
	time::SESSION_PERIOD, AccountId, Balances, BlockNumber, Runtime, RuntimeEvent, SessionKeys,
	SLOT_DURATION,
};

/// Upper bound on the number of validators (Aura and GRANDPA authorities).
pub const MAX_AUTHORITIES: u32 = 100;

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	/// Aura checks each block's timestamp against its slot.
	type OnTimestampSet = crate::Aura;
	/// Half a slot, so that Aura's slot duration is [`SLOT_DURATION`].
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	/// Weights measured upstream for this pallet.
	type WeightInfo = ();
}

parameter_types! {
	/// Blocks per session.
	pub const SessionPeriod: BlockNumber = SESSION_PERIOD;
	/// Sessions start at block 0.
	pub const SessionOffset: BlockNumber = 0;
}

impl pallet_session::Config for Runtime {
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// Validators are identified by their account.
	type ValidatorId = AccountId;
	/// Every account may register session keys; admission is decided by the
	/// session manager.
	type ValidatorIdOf = ConvertInto;
	/// Sessions rotate every [`SessionPeriod`] blocks.
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	/// Predicts the next rotation from the same period.
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	/// Keeps the current set until the authority pallet selects validators.
	type SessionManager = ();
	/// Aura and GRANDPA, in the order of [`SessionKeys`].
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	/// The keys a validator registers.
	type Keys = SessionKeys;
	/// No automatic disabling: misbehaviour is handled by governance.
	type DisablingStrategy = ();
	/// Weights measured upstream for this pallet.
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	/// Key deposits are held from the native token.
	type Currency = Balances;
	/// Validators are admitted by governance and bond stake separately, so
	/// registering keys costs no deposit.
	type KeyDeposit = ConstU128<0>;
}

impl pallet_aura::Config for Runtime {
	/// sr25519 authoring keys.
	type AuthorityId = AuraId;
	/// Validators disabled by the session pallet may not author.
	type DisabledValidators = crate::Session;
	/// See [`MAX_AUTHORITIES`].
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	/// One block per slot.
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	/// Twice the timestamp minimum period, i.e. [`SLOT_DURATION`].
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// Weights measured upstream for this pallet.
	type WeightInfo = ();
	/// See [`MAX_AUTHORITIES`].
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	/// No nominators on this chain.
	type MaxNominators = ConstU32<0>;
	/// No historical session data is kept for equivocation proofs yet.
	type MaxSetIdSessionEntries = ConstU64<0>;
	/// Equivocation reports are not accepted yet: no proof can be built.
	type KeyOwnerProof = sp_core::Void;
	/// Equivocation reports are not accepted yet.
	type EquivocationReportSystem = ();
}
