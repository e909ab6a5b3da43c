//! Storage version 1 -> 2: links move from two storage maps into the IMPI
//! records (`docs/bulk-import.md`, "Storage layout").
//!
//! Version 1 kept each link twice, in `ImpusOfImpi` and its mirror
//! `ImpisOfImpu`: two storage entries a link, beside one for each
//! identity. Version 2 lists an IMPI's IMPUs in its record and keeps only
//! the IMPU's link count, so a subscriber of one IMPI and two IMPUs is four
//! entries instead of eight.
//!
//! The migration runs in the upgrade's block: it reads every IMPI and every
//! link once and writes every IMPI once. It suits the chains running
//! version 1 (the first release's, with hundreds of subscribers); a chain
//! with millions would need a multi-block migration.

use crate::{pallet::*, types::ImpiRecord};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::Get, storage_alias,
	traits::UncheckedOnRuntimeUpgrade, weights::Weight, Blake2_128Concat, BoundedVec,
};
use ims_primitives::{AuthScheme, AuthSchemes, ImpiId, ImpuId, RealmId, SubscriptionId};
#[cfg(feature = "try-runtime")]
use sp_runtime::TryRuntimeError;

/// The layout this migration reads.
pub mod v1 {
	use super::*;

	/// IMPI -> IMPU links.
	#[storage_alias]
	pub type ImpusOfImpi<T: Config> =
		StorageDoubleMap<Pallet<T>, Blake2_128Concat, ImpiId, Blake2_128Concat, ImpuId, ()>;

	/// IMPU -> IMPI links, the mirror of [`ImpusOfImpi`].
	#[storage_alias]
	pub type ImpisOfImpu<T: Config> =
		StorageDoubleMap<Pallet<T>, Blake2_128Concat, ImpuId, Blake2_128Concat, ImpiId, ()>;

	/// A private identity's record, with a count of its links.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct ImpiRecord {
		/// Its subscription.
		pub subscription: SubscriptionId,
		/// Its realm.
		pub realm: RealmId,
		/// Schemes it may authenticate with.
		pub schemes: AuthSchemes,
		/// The default scheme.
		pub default_scheme: AuthScheme,
		/// The credential epoch.
		pub credential_epoch: u32,
		/// Public identities linked to it.
		pub impus: u32,
	}
}

/// Moves the links into the IMPI records; use [`MigrateV1ToV2`], which runs
/// it only on a version 1 pallet.
pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let (mut impis, mut links) = (0u64, 0u64);
		Impis::<T>::translate::<v1::ImpiRecord, _>(|impi, old| {
			let linked: Vec<ImpuId> = v1::ImpusOfImpi::<T>::iter_key_prefix(impi).collect();
			impis = impis.saturating_add(1);
			links = links.saturating_add(linked.len() as u64);
			// Links never leave a subscription, so they fit in its bound; a
			// record that broke that rule keeps the links that fit.
			let impus = BoundedVec::truncate_from(linked);
			Some(ImpiRecord {
				subscription: old.subscription,
				realm: old.realm,
				schemes: old.schemes,
				default_scheme: old.default_scheme,
				credential_epoch: old.credential_epoch,
				impus,
			})
		});
		let _ = v1::ImpusOfImpi::<T>::clear(u32::MAX, None);
		let _ = v1::ImpisOfImpu::<T>::clear(u32::MAX, None);
		// Each IMPI and link read; each IMPI written, each link removed
		// from both maps.
		T::DbWeight::get().reads_writes(
			impis.saturating_add(links),
			impis.saturating_add(links.saturating_mul(2)),
		)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
		let links = v1::ImpusOfImpi::<T>::iter().count() as u64;
		let impis = Impis::<T>::iter_keys().count() as u64;
		Ok((links, impis).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
		let (links, impis) = <(u64, u64)>::decode(&mut &state[..])
			.map_err(|_| TryRuntimeError::Other("pre_upgrade state undecodable"))?;
		let records: Vec<_> = Impis::<T>::iter_values().collect();
		let moved: u64 = records.iter().map(|record| record.impus.len() as u64).sum();
		frame_support::ensure!(records.len() as u64 == impis, "IMPIs lost in the migration");
		frame_support::ensure!(moved == links, "links lost in the migration");
		frame_support::ensure!(
			v1::ImpusOfImpi::<T>::iter().next().is_none()
				&& v1::ImpisOfImpu::<T>::iter().next().is_none(),
			"version 1 link maps left behind"
		);
		Pallet::<T>::do_try_state()
	}
}

/// Storage version 1 -> 2 of the identity pallet.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	InnerMigrateV1ToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;
