//! # IMS ledger runtime
//!
//! The FRAME runtime of the IMS ledger: a permissioned chain run together by
//! the operators of an IMS core. This crate composes the pallets; each domain
//! is configured in its own module under [`configs`], the runtime APIs live in
//! [`apis`] and the genesis presets in [`genesis_config_presets`].
//!
//! Block production is Aura over 2-second slots ([`SLOT_DURATION`]), finality
//! is GRANDPA, and the authority set of both is carried by `pallet-session`, so
//! that the authority pallet can take over validator selection as its
//! `SessionManager` without touching the consensus wiring.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`/`#[runtime]` expand to large types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

// Declared first: it defines the benchmark macros that `apis` expands.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Primitive types shared by the runtime, the node and the bridge.
pub mod primitives {
	use super::*;

	/// A block number.
	pub type BlockNumber = u32;
	/// The signature scheme of transactions (sr25519, ed25519 or ecdsa).
	pub type Signature = MultiSignature;
	/// An account: the public key of the transaction signing scheme.
	pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
	/// A balance, in the smallest unit (see [`super::currency`]).
	pub type Balance = u128;
	/// The number of transactions an account has sent.
	pub type Nonce = u32;
	/// A block or state hash.
	pub type Hash = sp_core::H256;
}
pub use primitives::*;

/// The native token: amounts, symbol and decimals, in one place.
pub mod currency {
	use super::Balance;

	/// Token symbol, reported in the chain spec properties.
	pub const TOKEN_SYMBOL: &str = "IMS";
	/// Decimals of the token, reported in the chain spec properties.
	pub const TOKEN_DECIMALS: u8 = 12;
	/// One whole token.
	pub const UNIT: Balance = 1_000_000_000_000;
	/// A thousandth of a token.
	pub const MILLI_UNIT: Balance = 1_000_000_000;
	/// A millionth of a token.
	pub const MICRO_UNIT: Balance = 1_000_000;
	/// The minimum balance an account must hold to exist.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;
}
pub use currency::EXISTENTIAL_DEPOSIT;

/// The SS58 address prefix of the chain (addresses start with a fixed prefix
/// in polkadot.js once the chain spec reports it).
pub const SS58_PREFIX: u16 = 4242;

/// Time, measured in slots and blocks.
pub mod time {
	use super::BlockNumber;

	/// The Aura slot: one block every 2 seconds at most. This is the only
	/// place the block time is defined; `pallet-timestamp`'s minimum period
	/// and Aura's slot duration are derived from it.
	///
	/// Changing it on a live chain stalls block production: it is fixed at
	/// genesis.
	pub const SLOT_DURATION: u64 = 2_000;
	/// Milliseconds per block, equal to the slot duration.
	pub const MILLISECS_PER_BLOCK: u64 = SLOT_DURATION;
	/// Blocks per minute.
	pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
	/// Blocks per hour.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks per day.
	pub const DAYS: BlockNumber = HOURS * 24;
	/// Length of a session, after which the validator set may change.
	pub const SESSION_PERIOD: BlockNumber = 10 * MINUTES;
}
pub use time::SLOT_DURATION;

/// Types the node needs without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
}

impl_opaque_keys! {
	/// The session keys of a validator: one for block production, one for finality.
	pub struct SessionKeys {
		/// Aura (sr25519) block authoring key.
		pub aura: Aura,
		/// GRANDPA (ed25519) finality voting key.
		pub grandpa: Grandpa,
	}
}

/// The runtime version. `spec_version` is bumped with every change of
/// behaviour; `transaction_version` with every change of call encoding.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("ims-ledger"),
	impl_name: alloc::borrow::Cow::Borrowed("ims-ledger"),
	authoring_version: 1,
	spec_version: 110,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// The address format of transaction senders.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions, checked in this order for every signed
/// transaction.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	// Before the weight and fee checks, so that what it does not spend is
	// refunded to both.
	pallet_ims_access::ReportDenials<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// The extensions a signed transaction from an account at `nonce`, valid in
/// `era`, carries (tipping nothing): what the node's tools and tests attach.
pub fn tx_extension(nonce: Nonce, era: generic::Era) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(era),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		pallet_ims_access::ReportDenials::<Runtime>::new(),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// The payload an account signs for `call`: the extensions of
/// [`tx_extension`] and what they imply on the chain with genesis
/// `genesis`, for an era that starts at the block `era_start` (the genesis
/// for an immortal transaction).
pub fn signed_payload(
	call: RuntimeCall,
	extension: TxExtension,
	genesis: Hash,
	era_start: Hash,
) -> SignedPayload {
	SignedPayload::from_raw(
		call,
		extension,
		(
			(),
			(),
			VERSION.spec_version,
			VERSION.transaction_version,
			genesis,
			era_start,
			(),
			(),
			(),
			(),
			(),
		),
	)
}

/// Runtime migrations to run on the next upgrade, beyond those the pallets
/// declare themselves. Each pallet of this workspace declares its
/// `StorageVersion` from its first release, so that every later change of
/// layout comes with a versioned migration listed here.
#[allow(unused_parens)]
pub type Migrations = (pallet_ims_identity::migrations::v2::MigrateV1ToV2<Runtime>,);

/// Dispatches calls and runs the block lifecycle of every pallet.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

// The pallets, in genesis-build and hook order. Balances precedes Session
// (session keys need an existing account) and Session precedes Aura and
// GRANDPA (it hands them the authority set).
#[frame_support::runtime]
mod runtime {
	/// The runtime.
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	/// Accounts, blocks, events.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	/// Block timestamps (inherent).
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	/// Native token balances and holds.
	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;

	/// Transaction fees.
	#[runtime::pallet_index(3)]
	pub type TransactionPayment = pallet_transaction_payment;

	/// The author of each block, counted for validator liveness.
	#[runtime::pallet_index(4)]
	pub type Authorship = pallet_authorship;

	/// The validator set: candidates admitted by the operators, bonded stake,
	/// allowed regions, stake-weighted GRANDPA voters, liveness. Declared
	/// before `Session`, whose genesis asks it for the first set.
	#[runtime::pallet_index(5)]
	pub type Authority = pallet_ims_authority;

	/// Sessions and session keys; the source of the Aura and GRANDPA sets.
	#[runtime::pallet_index(6)]
	pub type Session = pallet_session;

	/// Aura block production.
	#[runtime::pallet_index(7)]
	pub type Aura = pallet_aura;

	/// GRANDPA finality.
	#[runtime::pallet_index(8)]
	pub type Grandpa = pallet_grandpa;

	/// The operators' council: the runtime's governance, by two thirds of
	/// its members.
	#[runtime::pallet_index(9)]
	pub type Council = pallet_collective<Instance1>;

	/// Who sits on the council (one account per operator).
	#[runtime::pallet_index(10)]
	pub type CouncilMembership = pallet_membership<Instance1>;

	/// Superuser, keyed only in the development preset.
	#[runtime::pallet_index(11)]
	pub type Sudo = pallet_sudo;

	/// IMS subscribers: realms, IMPIs, IMPUs, service profiles, registrations.
	#[runtime::pallet_index(12)]
	pub type Identity = pallet_ims_identity;

	/// IMS access policy: roles per realm, application servers, consents.
	#[runtime::pallet_index(13)]
	pub type Access = pallet_ims_access;

	/// The audit trail.
	#[runtime::pallet_index(14)]
	pub type Audit = pallet_ims_audit;
}

#[cfg(test)]
mod tests;
