//! Weights of `pallet_ims_audit`. Bootstrap figures, to be replaced by the
//! output of `scripts/benchmark-pallets.sh audit`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed by `pallet_ims_audit`.
pub trait WeightInfo {
	fn submit(n: u32, ) -> Weight;
	fn note_change() -> Weight;
}

/// Weights measured on the runtime, with its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(Weight::from_parts(50_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn note_change() -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
}

impl WeightInfo for () {
	fn submit(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(Weight::from_parts(50_000_000, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn note_change() -> Weight {
		Weight::from_parts(100_000_000, 4000)
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
}
