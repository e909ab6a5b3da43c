//! `frame_system`: block limits, hashing, accounts.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::ConstU32,
	weights::{constants::WEIGHT_REF_TIME_PER_SECOND, Weight},
};
use frame_system::limits::{BlockLength, BlockWeights};
use sp_runtime::Perbill;
use sp_version::RuntimeVersion;

use crate::{
	AccountId, Balance, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeOrigin, RuntimeTask, SS58_PREFIX, VERSION,
};

/// Share of the block (weight and length) that normal transactions may use;
/// the rest is reserved for operational transactions and inherents.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	/// Number of recent block hashes kept for mortal transactions.
	pub const BlockHashCount: BlockNumber = 2400;
	/// The runtime version, as a `Get`.
	pub const Version: RuntimeVersion = VERSION;
	/// One second of compute per block: half of the 2-second slot, leaving the
	/// other half for import and propagation on modest validator hardware.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// At most 5 MiB of extrinsics per block.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// The SS58 prefix, see [`crate::SS58_PREFIX`].
	pub const SS58Prefix: u16 = SS58_PREFIX;
}

/// Defaults come from `SolochainDefaultConfig`; the overrides below are the
/// types and limits that make this chain what it is.
#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	/// The block type.
	type Block = Block;
	/// Block weight limits.
	type BlockWeights = RuntimeBlockWeights;
	/// Block length limits.
	type BlockLength = RuntimeBlockLength;
	/// Accounts are sr25519/ed25519/ecdsa public keys.
	type AccountId = AccountId;
	/// Transaction counter per account.
	type Nonce = Nonce;
	/// Blake2-256 hashes.
	type Hash = Hash;
	/// Recent block hashes kept for mortality checks.
	type BlockHashCount = BlockHashCount;
	/// The cost of a read and a write on ParityDB, the node's database, as
	/// `ims-node benchmark storage` measured them on the project machine
	/// (12.3 and 15.5 µs; Substrate's RocksDB defaults are 25 and 100 µs).
	type DbWeight = crate::weights::paritydb_weights::constants::ParityDbWeight;
	/// The runtime version.
	type Version = Version;
	/// Account data is the balance of the native token.
	type AccountData = pallet_balances::AccountData<Balance>;
	/// The chain's SS58 prefix.
	type SS58Prefix = SS58Prefix;
	/// Upper bound on the number of consumer references of an account.
	type MaxConsumers = ConstU32<16>;
}
