//! Governance: the operators' council.
//!
//! Each operator running the chain holds one seat on the council
//! (`pallet-membership` keeps the list, `pallet-collective` runs the
//! motions). A motion carried by at least two thirds of the seats is the
//! runtime's governance origin, [`Governance`]: it admits and removes
//! validator candidates, sets the allowed regions and the selection rules,
//! creates realms and changes the council itself. Root passes too, which on
//! a development chain is the sudo key; other presets set no sudo key.
//!
//! Runtime upgrades (`system.set_code`) need Root itself, which the council
//! does not yet reach; see the authority pallet's README.

use frame_support::{
	parameter_types,
	traits::{ConstU32, EitherOfDiverse},
	weights::Weight,
};
use frame_system::EnsureRoot;

use crate::{
	configs::system::RuntimeBlockWeights, time::DAYS, AccountId, BlockNumber, Council, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeOrigin,
};

/// The council's collective.
pub type CouncilCollective = pallet_collective::Instance1;

/// Root, or two thirds of the operators' council.
pub type Governance = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>,
>;

/// Seats on the council, at most.
pub const MAX_COUNCIL_MEMBERS: u32 = 32;

parameter_types! {
	/// A motion may be closed once enough seats voted, or after this long.
	pub const MotionDuration: BlockNumber = 3 * DAYS;
	/// A carried motion may use at most half a block.
	pub MaxProposalWeight: Weight =
		RuntimeBlockWeights::get().max_block / 2;
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	/// The runtime origin, which carries the council's votes.
	type RuntimeOrigin = RuntimeOrigin;
	/// Any runtime call may be proposed.
	type Proposal = RuntimeCall;
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// See [`MotionDuration`].
	type MotionDuration = MotionDuration;
	/// Open motions, at most.
	type MaxProposals = ConstU32<100>;
	/// See [`MAX_COUNCIL_MEMBERS`].
	type MaxMembers = ConstU32<MAX_COUNCIL_MEMBERS>;
	/// Seats that did not vote follow the prime member, if any.
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	/// Weights measured upstream for this pallet.
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	/// Members are set through `pallet-membership` only.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	/// See [`MaxProposalWeight`].
	type MaxProposalWeight = MaxProposalWeight;
	/// Governance may throw out a motion.
	type DisapproveOrigin = Governance;
	/// Governance may kill a motion.
	type KillOrigin = Governance;
	/// Proposing costs no deposit: members are known operators.
	type Consideration = ();
}

impl pallet_membership::Config<pallet_membership::Instance1> for Runtime {
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// Governance admits an operator to the council.
	type AddOrigin = Governance;
	/// Governance removes one.
	type RemoveOrigin = Governance;
	/// Governance swaps one member for another.
	type SwapOrigin = Governance;
	/// Governance replaces the whole list.
	type ResetOrigin = Governance;
	/// Governance picks the prime member.
	type PrimeOrigin = Governance;
	/// The collective's members follow this list.
	type MembershipInitialized = Council;
	/// The collective's members follow this list.
	type MembershipChanged = Council;
	/// See [`MAX_COUNCIL_MEMBERS`].
	type MaxMembers = ConstU32<MAX_COUNCIL_MEMBERS>;
	/// Weights measured upstream for this pallet.
	type WeightInfo = pallet_membership::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// Any runtime call may be dispatched by the sudo key.
	type RuntimeCall = RuntimeCall;
	/// Weights measured upstream for this pallet.
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}
