//! Weights of `pallet_ims_authority`. Provisional until
//! `scripts/benchmark-pallets.sh authority` regenerates this file.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed by `pallet_ims_authority`.
pub trait WeightInfo {
	fn apply() -> Weight;
	fn admit() -> Weight;
	fn remove() -> Weight;
	fn retire() -> Weight;
	fn bond() -> Weight;
	fn unbond() -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn resume() -> Weight;
	fn set_allowed_regions() -> Weight;
	fn set_parameters() -> Weight;
	fn note_author() -> Weight;
	fn new_session(c: u32, ) -> Weight;
	fn end_session(v: u32, ) -> Weight;
}

/// Weights measured on the runtime, with its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn apply() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn admit() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn remove() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn retire() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn bond() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn unbond() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn withdraw_unbonded() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn resume() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn set_allowed_regions() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn set_parameters() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn note_author() -> Weight { Weight::from_parts(50_000_000, 4000) }
	fn new_session(c: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(Weight::from_parts(1_000_000, 4000).saturating_mul(c.into())) }
	fn end_session(v: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(Weight::from_parts(1_000_000, 4000).saturating_mul(v.into())) }
}

impl WeightInfo for () {
	fn apply() -> Weight { Weight::zero() }
	fn admit() -> Weight { Weight::zero() }
	fn remove() -> Weight { Weight::zero() }
	fn retire() -> Weight { Weight::zero() }
	fn bond() -> Weight { Weight::zero() }
	fn unbond() -> Weight { Weight::zero() }
	fn withdraw_unbonded() -> Weight { Weight::zero() }
	fn resume() -> Weight { Weight::zero() }
	fn set_allowed_regions() -> Weight { Weight::zero() }
	fn set_parameters() -> Weight { Weight::zero() }
	fn note_author() -> Weight { Weight::zero() }
	fn new_session(_c: u32, ) -> Weight { Weight::zero() }
	fn end_session(_v: u32, ) -> Weight { Weight::zero() }
}
