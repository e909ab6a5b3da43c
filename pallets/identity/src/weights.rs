//! BOOTSTRAP ONLY: replaced by the output of `ims-node benchmark pallet`.

use frame_support::weights::Weight;

/// Weight functions needed by `pallet_ims_identity`.
pub trait WeightInfo {
	fn create_realm() -> Weight;
	fn set_realm_owner() -> Weight;
	fn remove_realm() -> Weight;
	fn create_subscription() -> Weight;
	fn remove_subscription(i: u32, u: u32) -> Weight;
	fn create_impi() -> Weight;
	fn update_impi() -> Weight;
	fn rotate_credentials() -> Weight;
	fn remove_impi(l: u32) -> Weight;
	fn create_impu() -> Weight;
	fn update_impu() -> Weight;
	fn set_barring() -> Weight;
	fn set_service_profile() -> Weight;
	fn set_roaming(n: u32) -> Weight;
	fn set_implicit_set() -> Weight;
	fn set_implicit_default() -> Weight;
	fn remove_impu(l: u32) -> Weight;
	fn link() -> Weight;
	fn unlink() -> Weight;
	fn put_application_server() -> Weight;
	fn remove_application_server() -> Weight;
	fn put_charging_information() -> Weight;
	fn remove_charging_information() -> Weight;
	fn put_ifc_set(n: u32) -> Weight;
	fn remove_ifc_set() -> Weight;
	fn put_service_profile(i: u32, s: u32) -> Weight;
	fn remove_service_profile() -> Weight;
	fn record_registrations(n: u32) -> Weight;
}

impl WeightInfo for () {
	fn create_realm() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn set_realm_owner() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_realm() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn create_subscription() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_subscription(_i: u32, _u: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn create_impi() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn update_impi() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn rotate_credentials() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_impi(_l: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn create_impu() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn update_impu() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn set_barring() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn set_service_profile() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn set_roaming(_n: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn set_implicit_set() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn set_implicit_default() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_impu(_l: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn link() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn unlink() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn put_application_server() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_application_server() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn put_charging_information() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_charging_information() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn put_ifc_set(_n: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_ifc_set() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn put_service_profile(_i: u32, _s: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn remove_service_profile() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
	fn record_registrations(_n: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
	}
}

/// BOOTSTRAP ONLY.
pub struct SubstrateWeight<T>(core::marker::PhantomData<T>);
impl<T> WeightInfo for SubstrateWeight<T> {
	fn create_realm() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn set_realm_owner() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_realm() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn create_subscription() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_subscription(_i: u32, _u: u32) -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn create_impi() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn update_impi() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn rotate_credentials() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_impi(_l: u32) -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn create_impu() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn update_impu() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn set_barring() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn set_service_profile() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn set_roaming(_n: u32) -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn set_implicit_set() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn set_implicit_default() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_impu(_l: u32) -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn link() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn unlink() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn put_application_server() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_application_server() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn put_charging_information() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_charging_information() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn put_ifc_set(_n: u32) -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_ifc_set() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn put_service_profile(_i: u32, _s: u32) -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn remove_service_profile() -> Weight {
		<() as WeightInfo>::create_realm()
	}
	fn record_registrations(_n: u32) -> Weight {
		<() as WeightInfo>::create_realm()
	}
}
