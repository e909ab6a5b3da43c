//! Invariants of the subscriber model, checked by `try-runtime` and after
//! every unit test.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use crate::{pallet::*, types::*};
use alloc::collections::{BTreeMap, BTreeSet};
use frame_support::ensure;
use ims_primitives::RealmId;
use sp_runtime::TryRuntimeError;

fn bump<K: Ord>(counts: &mut BTreeMap<K, u32>, key: K) {
	let count = counts.entry(key).or_insert(0);
	*count = count.saturating_add(1);
}

impl<T: Config> Pallet<T> {
	/// Check every invariant:
	/// - realms: names index both ways, numbers below `NextRealmId`, the
	///   subscription and service counters match;
	/// - no orphan: every IMPI, IMPU, implicit set and registration belongs
	///   to an existing subscription (or IMPU) that lists it, in its realm;
	/// - links are symmetric, stay inside one subscription, and the link
	///   counters match;
	/// - implicit sets are non-empty, list exactly the IMPUs that name them,
	///   and their default is not barred;
	/// - schemes are valid; referenced profiles, charging records, shared
	///   sets and application servers exist and their user counters match.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let next_realm = NextRealmId::<T>::get();
		for (realm, info) in Realms::<T>::iter() {
			ensure!(realm < next_realm, "realm number not below NextRealmId");
			ensure!(RealmByName::<T>::get(&info.name) == Some(realm), "realm name not indexed");
		}
		for (name, realm) in RealmByName::<T>::iter() {
			ensure!(
				Realms::<T>::get(realm).is_some_and(|info| info.name == name),
				"name index points to a missing or renamed realm"
			);
		}

		let mut subscriptions_per_realm = BTreeMap::<RealmId, u32>::new();
		for (id, subscription) in Subscriptions::<T>::iter() {
			ensure!(Realms::<T>::contains_key(subscription.realm), "subscription without realm");
			bump(&mut subscriptions_per_realm, subscription.realm);
			let impis: BTreeSet<_> = subscription.impis.iter().collect();
			let impus: BTreeSet<_> = subscription.impus.iter().collect();
			ensure!(impis.len() == subscription.impis.len(), "IMPI listed twice");
			ensure!(impus.len() == subscription.impus.len(), "IMPU listed twice");
			for impi in &subscription.impis {
				ensure!(
					Impis::<T>::get(impi)
						.is_some_and(|record| record.subscription == id
							&& record.realm == subscription.realm),
					"subscription lists an IMPI that is not its own"
				);
			}
			for impu in &subscription.impus {
				ensure!(
					Impus::<T>::get(impu)
						.is_some_and(|record| record.subscription == id
							&& record.realm == subscription.realm),
					"subscription lists an IMPU that is not its own"
				);
			}
		}

		for (impi, record) in Impis::<T>::iter() {
			ensure!(
				Subscriptions::<T>::get(record.subscription)
					.is_some_and(|subscription| subscription.impis.contains(&impi)),
				"orphan IMPI"
			);
			ensure!(
				!record.schemes.is_empty()
					&& record.schemes.is_known()
					&& record.schemes.contains(record.default_scheme),
				"invalid IMPI schemes"
			);
			let links = ImpusOfImpi::<T>::iter_prefix(impi).count();
			ensure!(links == record.impus as usize, "IMPI link counter mismatch");
		}

		let mut profile_users = BTreeMap::<(RealmId, u32), u32>::new();
		let mut charging_users = BTreeMap::<(RealmId, u32), u32>::new();
		for (impu, record) in Impus::<T>::iter() {
			ensure!(
				Subscriptions::<T>::get(record.subscription)
					.is_some_and(|subscription| subscription.impus.contains(&impu)),
				"orphan IMPU"
			);
			let links = ImpisOfImpu::<T>::iter_prefix(impu).count();
			ensure!(links == record.impis as usize, "IMPU link counter mismatch");
			bump(&mut profile_users, (record.realm, record.service_profile));
			if let Some(charging) = record.charging {
				bump(&mut charging_users, (record.realm, charging));
			}
			if let Some(set) = record.implicit_set {
				ensure!(
					ImplicitSets::<T>::get(record.subscription, set)
						.is_some_and(|set| set.members.contains(&impu)),
					"IMPU names an implicit set that does not list it"
				);
			}
		}

		for (impi, impu, ()) in ImpusOfImpi::<T>::iter() {
			ensure!(ImpisOfImpu::<T>::contains_key(impu, impi), "link without mirror");
			let impi_record = Impis::<T>::get(impi).ok_or("link from a missing IMPI")?;
			let impu_record = Impus::<T>::get(impu).ok_or("link to a missing IMPU")?;
			ensure!(
				impi_record.subscription == impu_record.subscription,
				"link across subscriptions"
			);
		}
		for (impu, impi, ()) in ImpisOfImpu::<T>::iter() {
			ensure!(ImpusOfImpi::<T>::contains_key(impi, impu), "mirror link without link");
		}

		for (subscription, set, entry) in ImplicitSets::<T>::iter() {
			let default = entry.members.first().ok_or("empty implicit set")?;
			ensure!(
				Impus::<T>::get(default).is_some_and(|record| !record.barred),
				"implicit set default missing or barred"
			);
			for member in &entry.members {
				ensure!(
					Impus::<T>::get(member)
						.is_some_and(|record| record.subscription == subscription
							&& record.implicit_set == Some(set)),
					"implicit set lists an IMPU that is not in it"
				);
			}
		}

		for impu in Registrations::<T>::iter_keys() {
			ensure!(Impus::<T>::contains_key(impu), "registration of a missing IMPU");
		}

		let mut services_per_realm = BTreeMap::<RealmId, u32>::new();
		let mut server_users = BTreeMap::<(RealmId, u32), u32>::new();
		let mut set_users = BTreeMap::<(RealmId, u32), u32>::new();
		for (realm, _, entry) in ServiceProfiles::<T>::iter() {
			bump(&mut services_per_realm, realm);
			for ifc in &entry.value.ifcs {
				bump(&mut server_users, (realm, ifc.application_server));
			}
			for set in &entry.value.shared_ifc_sets {
				bump(&mut set_users, (realm, *set));
			}
		}
		for (realm, _, entry) in IfcSets::<T>::iter() {
			bump(&mut services_per_realm, realm);
			for ifc in &entry.value {
				bump(&mut server_users, (realm, ifc.application_server));
			}
		}
		for (realm, _, _) in ApplicationServers::<T>::iter() {
			bump(&mut services_per_realm, realm);
		}
		for (realm, _, _) in ChargingInfos::<T>::iter() {
			bump(&mut services_per_realm, realm);
		}

		fn check_users<V>(
			entries: impl Iterator<Item = (RealmId, u32, Shared<V>)>,
			mut expected: BTreeMap<(RealmId, u32), u32>,
			what: &'static str,
		) -> Result<(), TryRuntimeError> {
			for (realm, id, entry) in entries {
				let counted = expected.remove(&(realm, id)).unwrap_or(0);
				ensure!(entry.users == counted, what);
			}
			// Whatever is left was referenced but does not exist.
			ensure!(expected.is_empty(), what);
			Ok(())
		}
		check_users(ServiceProfiles::<T>::iter(), profile_users, "profile users mismatch")?;
		check_users(ChargingInfos::<T>::iter(), charging_users, "charging users mismatch")?;
		check_users(IfcSets::<T>::iter(), set_users, "iFC set users mismatch")?;
		check_users(ApplicationServers::<T>::iter(), server_users, "server users mismatch")?;

		for (realm, info) in Realms::<T>::iter() {
			ensure!(
				info.subscriptions == subscriptions_per_realm.remove(&realm).unwrap_or(0),
				"realm subscription counter mismatch"
			);
			ensure!(
				info.services == services_per_realm.remove(&realm).unwrap_or(0),
				"realm service counter mismatch"
			);
		}
		ensure!(
			subscriptions_per_realm.is_empty() && services_per_realm.is_empty(),
			"records in a missing realm"
		);
		Ok(())
	}
}
