//! Users of shared service data taken during one call, stored once per
//! record at its end.

use super::*;
use alloc::collections::BTreeMap;

/// The users new IMPUs take of profiles and charging records, counted as
/// they are added and stored by [`Pallet::take_uses`]: a bulk import then
/// decodes and writes each shared record once per call, not once per IMPU
/// (`docs/bulk-import.md`, "Weight").
#[derive(Default)]
pub(crate) struct Uses {
	profiles: BTreeMap<ProfileId, u32>,
	charging: BTreeMap<ChargingId, u32>,
}

/// Count one more user of `id`, which must exist in `realm`; its existence
/// is looked up only the first time.
fn count<T: Config, V: FullCodec, M: SharedMap<V>>(
	counts: &mut BTreeMap<u32, u32>,
	realm: RealmId,
	id: u32,
	missing: Error<T>,
) -> DispatchResult {
	match counts.get_mut(&id) {
		Some(users) => *users = users.checked_add(1).ok_or(Error::<T>::Overflow)?,
		None => {
			ensure!(M::contains_key(realm, id), missing);
			counts.insert(id, 1);
		},
	}
	Ok(())
}

impl<T: Config> Pallet<T> {
	/// Count the users a new IMPU with `attributes` takes in `realm`.
	pub(super) fn count_uses(
		uses: &mut Uses,
		realm: RealmId,
		attributes: &ImpuAttributes,
	) -> DispatchResult {
		let profile = attributes.service_profile;
		count::<T, _, ServiceProfiles<T>>(
			&mut uses.profiles,
			realm,
			profile,
			Error::<T>::ProfileNotFound,
		)?;
		if let Some(charging) = attributes.charging {
			let missing = Error::<T>::ChargingNotFound;
			count::<T, _, ChargingInfos<T>>(&mut uses.charging, realm, charging, missing)?;
		}
		Ok(())
	}

	/// Store the users counted in `uses`, one write per record.
	pub(super) fn take_uses(realm: RealmId, uses: Uses) -> DispatchResult {
		for (profile, users) in uses.profiles {
			let missing = Error::<T>::ProfileNotFound;
			Self::acquire_many::<_, ServiceProfiles<T>>(realm, profile, users, missing)?;
		}
		for (charging, users) in uses.charging {
			let missing = Error::<T>::ChargingNotFound;
			Self::acquire_many::<_, ChargingInfos<T>>(realm, charging, users, missing)?;
		}
		Ok(())
	}
}
