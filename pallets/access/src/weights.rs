//! Weights of `pallet_ims_access`. Bootstrap values until `scripts/benchmark-pallets.sh access`
//! regenerates this file.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed by `pallet_ims_access`.
pub trait WeightInfo {
	fn grant_role() -> Weight;
	fn revoke_role() -> Weight;
	fn remove_expired_roles() -> Weight;
	fn authorize_application_server() -> Weight;
	fn revoke_application_server() -> Weight;
	fn grant_consent() -> Weight;
	fn withdraw_consent() -> Weight;
	fn erase_consents() -> Weight;
}

/// Weights for `pallet_ims_access` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn grant_role() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn revoke_role() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn remove_expired_roles() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn authorize_application_server() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn revoke_application_server() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn grant_consent() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn withdraw_consent() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn erase_consents() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
}

// For tests.
impl WeightInfo for () {
	fn grant_role() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
	fn revoke_role() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
	fn remove_expired_roles() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
	fn authorize_application_server() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
	fn revoke_application_server() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
	fn grant_consent() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
	fn withdraw_consent() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
	fn erase_consents() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads_writes(3, 2))
	}
}
