//! The pallets whose benchmarks `ims-node benchmark pallet` runs.
//!
//! The macros defined here are expanded in `apis.rs`, where each name below
//! is in scope.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_ims_identity, Identity]
	[pallet_ims_access, Access]
	[pallet_ims_audit, Audit]
	[pallet_ims_authority, Authority]
);
