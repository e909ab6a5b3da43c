//! Governance. For now only `pallet-sudo`, whose key is set by the
//! development presets alone; the operators' council replaces it as the
//! governance origin of the runtime.

use crate::{Runtime, RuntimeCall, RuntimeEvent};

impl pallet_sudo::Config for Runtime {
	/// The runtime event.
	type RuntimeEvent = RuntimeEvent;
	/// Any runtime call may be dispatched by the sudo key.
	type RuntimeCall = RuntimeCall;
	/// Weights measured upstream for this pallet.
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}
