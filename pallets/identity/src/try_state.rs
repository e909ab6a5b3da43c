//! Invariants of the subscriber model, checked by `try-runtime` and after
//! every unit test.

use crate::{pallet::*, types::*};
use alloc::collections::{BTreeMap, BTreeSet};
use frame_support::ensure;
use ims_primitives::{ImpuId, RealmId, SubscriptionId};
use sp_runtime::TryRuntimeError;

fn bump<K: Ord>(counts: &mut BTreeMap<K, u32>, key: K) {
	let count = counts.entry(key).or_insert(0);
	*count = count.saturating_add(1);
}

/// Counts gathered by the checks, compared with the counters records keep.
#[derive(Default)]
struct Counted {
	subscriptions_per_realm: BTreeMap<RealmId, u32>,
	services_per_realm: BTreeMap<RealmId, u32>,
	profile_users: BTreeMap<(RealmId, u32), u32>,
	charging_users: BTreeMap<(RealmId, u32), u32>,
	server_users: BTreeMap<(RealmId, u32), u32>,
	set_users: BTreeMap<(RealmId, u32), u32>,
	links_per_impu: BTreeMap<ImpuId, u32>,
}

/// Every shared record's user counter equals the references `expected`
/// counted, and nothing counted is missing.
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

impl<T: Config> Pallet<T> {
	/// Check every invariant, one area at a time (see each `check_*`).
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let mut counted = Counted::default();
		Self::check_realm_names()?;
		Self::check_subscriptions(&mut counted)?;
		Self::check_impis(&mut counted)?;
		Self::check_impus(&mut counted)?;
		Self::check_implicit_sets()?;
		Self::check_registrations()?;
		Self::check_service_data(&mut counted)?;
		Self::check_realm_counters(counted)
	}

	/// Realm names index realms both ways; realm numbers are below
	/// `NextRealmId`.
	fn check_realm_names() -> Result<(), TryRuntimeError> {
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
		Ok(())
	}

	/// Every subscription is in an existing realm and lists, once each,
	/// IMPIs and IMPUs that are its own.
	fn check_subscriptions(counted: &mut Counted) -> Result<(), TryRuntimeError> {
		for (id, subscription) in Subscriptions::<T>::iter() {
			ensure!(Realms::<T>::contains_key(subscription.realm), "subscription without realm");
			bump(&mut counted.subscriptions_per_realm, subscription.realm);
			let impis: BTreeSet<_> = subscription.impis.iter().collect();
			let impus: BTreeSet<_> = subscription.impus.iter().collect();
			ensure!(impis.len() == subscription.impis.len(), "IMPI listed twice");
			ensure!(impus.len() == subscription.impus.len(), "IMPU listed twice");
			let own = |subscription_of: Option<(SubscriptionId, RealmId)>| {
				subscription_of == Some((id, subscription.realm))
			};
			for impi in &subscription.impis {
				let of = Impis::<T>::get(impi).map(|r| (r.subscription, r.realm));
				ensure!(own(of), "subscription lists an IMPI that is not its own");
			}
			for impu in &subscription.impus {
				let of = Impus::<T>::get(impu).map(|r| (r.subscription, r.realm));
				ensure!(own(of), "subscription lists an IMPU that is not its own");
			}
		}
		Ok(())
	}

	/// Every IMPI belongs to a subscription that lists it, has valid
	/// schemes, and links, once each, existing IMPUs of its subscription;
	/// counts each IMPU's links.
	fn check_impis(counted: &mut Counted) -> Result<(), TryRuntimeError> {
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
			let linked: BTreeSet<_> = record.impus.iter().collect();
			ensure!(linked.len() == record.impus.len(), "IMPU linked twice");
			for impu in &record.impus {
				let of = Impus::<T>::get(impu).map(|impu| impu.subscription);
				ensure!(of.is_some(), "link to a missing IMPU");
				ensure!(of == Some(record.subscription), "link across subscriptions");
				bump(&mut counted.links_per_impu, *impu);
			}
		}
		Ok(())
	}

	/// Every IMPU belongs to a subscription that lists it, counts its links
	/// right, and is listed by the implicit set it names; counts the
	/// profiles and charging records IMPUs use.
	fn check_impus(counted: &mut Counted) -> Result<(), TryRuntimeError> {
		for (impu, record) in Impus::<T>::iter() {
			ensure!(
				Subscriptions::<T>::get(record.subscription)
					.is_some_and(|subscription| subscription.impus.contains(&impu)),
				"orphan IMPU"
			);
			let links = counted.links_per_impu.get(&impu).copied().unwrap_or(0);
			ensure!(links == record.impis, "IMPU link counter mismatch");
			bump(&mut counted.profile_users, (record.realm, record.service_profile));
			if let Some(charging) = record.charging {
				bump(&mut counted.charging_users, (record.realm, charging));
			}
			if let Some(set) = record.implicit_set {
				ensure!(
					ImplicitSets::<T>::get(record.subscription, set)
						.is_some_and(|set| set.members.contains(&impu)),
					"IMPU names an implicit set that does not list it"
				);
			}
		}
		Ok(())
	}

	/// Implicit sets are non-empty, list exactly IMPUs of their subscription
	/// that name them, and their default is not barred.
	fn check_implicit_sets() -> Result<(), TryRuntimeError> {
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
		Ok(())
	}

	/// Every registration is of an existing IMPU.
	fn check_registrations() -> Result<(), TryRuntimeError> {
		for impu in Registrations::<T>::iter_keys() {
			ensure!(Impus::<T>::contains_key(impu), "registration of a missing IMPU");
		}
		Ok(())
	}

	/// Shared service data (profiles, iFC sets, application servers,
	/// charging records) exists where referenced, and each user counter
	/// equals its references.
	fn check_service_data(counted: &mut Counted) -> Result<(), TryRuntimeError> {
		for (realm, _, entry) in ServiceProfiles::<T>::iter() {
			bump(&mut counted.services_per_realm, realm);
			for ifc in &entry.value.ifcs {
				bump(&mut counted.server_users, (realm, ifc.application_server));
			}
			for set in &entry.value.shared_ifc_sets {
				bump(&mut counted.set_users, (realm, *set));
			}
		}
		for (realm, _, entry) in IfcSets::<T>::iter() {
			bump(&mut counted.services_per_realm, realm);
			for ifc in &entry.value {
				bump(&mut counted.server_users, (realm, ifc.application_server));
			}
		}
		for (realm, _, _) in ApplicationServers::<T>::iter() {
			bump(&mut counted.services_per_realm, realm);
		}
		for (realm, _, _) in ChargingInfos::<T>::iter() {
			bump(&mut counted.services_per_realm, realm);
		}
		let profiles = core::mem::take(&mut counted.profile_users);
		check_users(ServiceProfiles::<T>::iter(), profiles, "profile users mismatch")?;
		let charging = core::mem::take(&mut counted.charging_users);
		check_users(ChargingInfos::<T>::iter(), charging, "charging users mismatch")?;
		let sets = core::mem::take(&mut counted.set_users);
		check_users(IfcSets::<T>::iter(), sets, "iFC set users mismatch")?;
		let servers = core::mem::take(&mut counted.server_users);
		check_users(ApplicationServers::<T>::iter(), servers, "server users mismatch")
	}

	/// Each realm's subscription and service counters equal what exists,
	/// and nothing exists in a missing realm.
	fn check_realm_counters(mut counted: Counted) -> Result<(), TryRuntimeError> {
		for (realm, info) in Realms::<T>::iter() {
			ensure!(
				info.subscriptions == counted.subscriptions_per_realm.remove(&realm).unwrap_or(0),
				"realm subscription counter mismatch"
			);
			ensure!(
				info.services == counted.services_per_realm.remove(&realm).unwrap_or(0),
				"realm service counter mismatch"
			);
		}
		ensure!(
			counted.subscriptions_per_realm.is_empty() && counted.services_per_realm.is_empty(),
			"records in a missing realm"
		);
		Ok(())
	}
}
