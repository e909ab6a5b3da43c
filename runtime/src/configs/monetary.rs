//! Balances and transaction fees.

use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32, ConstU8, VariantCountOf},
	weights::IdentityFee,
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::traits::One;

use crate::{
	Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, System,
	EXISTENTIAL_DEPOSIT,
};

impl pallet_balances::Config for Runtime {
	/// Locks are not used by this runtime's pallets; holds are.
	type MaxLocks = ConstU32<50>;
	/// Reserves are legacy; holds with a reason replace them.
	type MaxReserves = ();
	/// Unused (no named reserves).
	type ReserveIdentifier = [u8; 8];
	/// 128-bit balances.
	type Balance = Balance;
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// Dust is burnt.
	type DustRemoval = ();
	/// See [`crate::currency::EXISTENTIAL_DEPOSIT`].
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	/// Balances live in `frame_system` account data.
	type AccountStore = System;
	/// Weights measured upstream for this pallet.
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	/// Freezes are identified by the runtime's freeze reasons.
	type FreezeIdentifier = RuntimeFreezeReason;
	/// One freeze per reason at most.
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	/// Holds carry the runtime's hold reasons (e.g. session key deposits).
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Freeze reasons of the runtime.
	type RuntimeFreezeReason = RuntimeFreezeReason;
	/// Nothing to do after a hold is slashed.
	type DoneSlashHandler = ();
}

parameter_types! {
	/// Fees do not float with congestion on a permissioned chain.
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// Fees are withdrawn from the sender in the native token and burnt.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	/// Operational transactions pay five times the priority of normal ones.
	type OperationalFeeMultiplier = ConstU8<5>;
	/// One unit of weight costs one unit of balance.
	type WeightToFee = IdentityFee<Balance>;
	/// One byte costs one unit of balance.
	type LengthToFee = IdentityFee<Balance>;
	/// A constant multiplier (see [`FeeMultiplier`]).
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	/// Weights measured upstream for this pallet.
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
