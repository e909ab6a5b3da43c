//! The in-memory index of finalized IMS state that Cx answers are read
//! from: the runtime's own views (`IdentityApi`), cached per identity.
//!
//! The chain follower (see [`crate::chain`]) fills it at start from the
//! finalized head and refreshes the identities each finalized block touches,
//! so the rules (linking, barring of implicit sets, iFC resolution) live in
//! one place, the runtime, while a Cx request never waits for the network.
//!
//! Registration state has one more layer: what this bridge's own SARs have
//! set ([`Index::set_registration`]) stands until the chain reports the same
//! state for that identity (its registration report finalized), so that a
//! LIR right after a SAR already sees the S-CSCF.

use ims_primitives::{
	AuthScheme, AuthSchemes, ImpiId, ImpuId, RealmId, RegistrationState, RegistrationView,
	ServerAssignmentView,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

/// What MAR needs of a private identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImpiEntry {
	/// Its subscription.
	pub subscription: ImpuId,
	/// Schemes it may use.
	pub schemes: AuthSchemes,
	/// The scheme used when a request names none.
	pub default_scheme: AuthScheme,
	/// Bumped when its credentials rotate.
	pub credential_epoch: u32,
}

/// The finalized block the index reflects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct At {
	/// Block number.
	pub number: u32,
	/// Block hash.
	pub hash: [u8; 32],
}

#[derive(Default)]
struct State {
	at: Option<At>,
	impus: HashMap<ImpuId, Arc<ServerAssignmentView>>,
	impis: HashMap<ImpiId, ImpiEntry>,
	realms: HashMap<String, RealmId>,
	overlay: HashMap<ImpuId, RegistrationView>,
}

/// The index. Readers take a read lock for the length of a look-up.
#[derive(Default)]
pub struct Index {
	state: RwLock<State>,
}

/// A batch of changes read at one finalized block.
#[derive(Default, Debug)]
pub struct Update {
	/// The block.
	pub at: At,
	/// Public identities refreshed (`None`: gone).
	pub impus: Vec<(ImpuId, Option<ServerAssignmentView>)>,
	/// Private identities refreshed (`None`: gone).
	pub impis: Vec<(ImpiId, Option<ImpiEntry>)>,
	/// Realms by name, when they changed (the whole map).
	pub realms: Option<HashMap<String, RealmId>>,
	/// Replace everything (a full reload) instead of merging.
	pub full: bool,
}

impl Index {
	fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
		self.state.read().unwrap_or_else(|p| p.into_inner())
	}

	fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
		self.state.write().unwrap_or_else(|p| p.into_inner())
	}

	/// The block the index reflects, once loaded.
	pub fn at(&self) -> Option<At> {
		self.read().at
	}

	/// Counts of cached identities (IMPUs, IMPIs).
	pub fn len(&self) -> (usize, usize) {
		let state = self.read();
		(state.impus.len(), state.impis.len())
	}

	/// Whether nothing is cached.
	pub fn is_empty(&self) -> bool {
		self.len() == (0, 0)
	}

	/// A public identity's view, with this bridge's pending registration
	/// state applied.
	pub fn impu(&self, impu: &ImpuId) -> Option<Arc<ServerAssignmentView>> {
		let state = self.read();
		let view = state.impus.get(impu)?;
		match state.overlay.get(impu) {
			Some(pending) if *pending != view.impu.registration => {
				let mut view = ServerAssignmentView::clone(view);
				view.impu.registration = pending.clone();
				Some(Arc::new(view))
			},
			_ => Some(view.clone()),
		}
	}

	/// A private identity.
	pub fn impi(&self, impi: &ImpiId) -> Option<ImpiEntry> {
		self.read().impis.get(impi).cloned()
	}

	/// A realm by its name (the home network domain).
	pub fn realm(&self, name: &str) -> Option<RealmId> {
		self.read().realms.get(&name.to_ascii_lowercase()).copied()
	}

	/// Every realm the index knows.
	pub fn realms(&self) -> Vec<(String, RealmId)> {
		self.read().realms.iter().map(|(n, r)| (n.clone(), *r)).collect()
	}

	/// Records the state this bridge's SAR gave `members` (a whole implicit
	/// set), until the chain confirms it.
	pub fn set_registration(&self, members: &[ImpuId], registration: RegistrationView) {
		let mut state = self.write();
		for member in members {
			state.overlay.insert(*member, registration.clone());
		}
	}

	/// Identities whose pending state differs from the chain's.
	pub fn pending_registrations(&self) -> usize {
		self.read().overlay.len()
	}

	/// Applies a batch read at one finalized block. Pending registration
	/// states that the chain now shows are dropped.
	pub fn apply(&self, update: Update) {
		let mut state = self.write();
		if update.full {
			state.impus.clear();
			state.impis.clear();
		}
		for (impu, view) in update.impus {
			match view {
				Some(view) => {
					if state.overlay.get(&impu) == Some(&view.impu.registration) {
						state.overlay.remove(&impu);
					}
					state.impus.insert(impu, Arc::new(view));
				},
				None => {
					state.impus.remove(&impu);
					state.overlay.remove(&impu);
				},
			}
		}
		for (impi, entry) in update.impis {
			match entry {
				Some(entry) => state.impis.insert(impi, entry),
				None => state.impis.remove(&impi),
			};
		}
		if let Some(realms) = update.realms {
			state.realms = realms.into_iter().map(|(n, r)| (n.to_ascii_lowercase(), r)).collect();
		}
		state.at = Some(update.at);
	}

	/// Public identities the chain holds barred while an S-CSCF still holds
	/// them (registered, or unregistered with services kept there), with
	/// their views, in a stable order: each is owed an RTR. The chain barred
	/// it while no bridge followed the chain, or every RTR for it went
	/// unanswered; after a successful RTR the identity is no longer held.
	pub fn barred_but_held(&self) -> Vec<(ImpuId, Arc<ServerAssignmentView>)> {
		let mut barred: Vec<ImpuId> = {
			let state = self.read();
			state.impus.iter().filter(|(_, view)| view.impu.barred).map(|(id, _)| *id).collect()
		};
		barred.sort();
		barred
			.into_iter()
			.filter_map(|id| {
				self.impu(&id).filter(|view| Self::held_at_scscf(view)).map(|v| (id, v))
			})
			.collect()
	}

	/// The public identities of the index that `update` (a full reload)
	/// leaves out, with their views: the chain removed them meanwhile.
	pub fn left_out_by(&self, update: &Update) -> Vec<(ImpuId, Arc<ServerAssignmentView>)> {
		let kept: std::collections::HashSet<&ImpuId> =
			update.impus.iter().filter(|(_, view)| view.is_some()).map(|(id, _)| id).collect();
		let mut gone: Vec<ImpuId> = {
			let state = self.read();
			state.impus.keys().filter(|id| !kept.contains(id)).copied().collect()
		};
		gone.sort();
		gone.into_iter().filter_map(|id| Some((id, self.impu(&id)?))).collect()
	}

	/// Every cached public identity whose view mentions one of `impus` (as
	/// itself or an implicit-set member) or uses profile `profile` of
	/// `realm`: the identities a change to those must refresh.
	pub fn dependents(
		&self,
		impus: &[ImpuId],
		profile_of_realm: Option<(RealmId, Option<u32>)>,
	) -> Vec<ImpuId> {
		let state = self.read();
		let mut out: Vec<ImpuId> = impus.to_vec();
		for (id, view) in &state.impus {
			let members = view.profiles.iter().flat_map(|p| p.identities.iter().map(|i| i.impu));
			let touched = members.clone().any(|m| impus.contains(&m))
				|| match profile_of_realm {
					Some((realm, None)) => view.impu.realm == realm,
					Some((realm, Some(profile))) => {
						view.impu.realm == realm && view.profiles.iter().any(|p| p.id == profile)
					},
					None => false,
				};
			if touched {
				out.push(*id);
			}
		}
		out.sort();
		out.dedup();
		out
	}

	/// Public identities of these subscriptions, for refreshes.
	pub fn impus_of_subscriptions(&self, subscriptions: &BTreeSet<ImpuId>) -> Vec<ImpuId> {
		let state = self.read();
		state
			.impus
			.iter()
			.filter(|(_, view)| subscriptions.contains(&view.impu.subscription))
			.map(|(id, _)| *id)
			.collect()
	}

	/// Private identities of these subscriptions, for refreshes.
	pub fn impis_of_subscriptions(&self, subscriptions: &BTreeSet<ImpuId>) -> Vec<ImpiId> {
		let state = self.read();
		state
			.impis
			.iter()
			.filter(|(_, entry)| subscriptions.contains(&entry.subscription))
			.map(|(id, _)| *id)
			.collect()
	}

	/// Public identities linked to an IMPI, for refreshes.
	pub fn impus_of_impi(&self, impi: &ImpiId) -> Vec<ImpuId> {
		let state = self.read();
		state
			.impus
			.iter()
			.filter(|(_, view)| view.associated_impis.contains(impi))
			.map(|(id, _)| *id)
			.collect()
	}

	/// Whether a registration state needs an S-CSCF (registered or
	/// unregistered with services).
	pub fn holds_scscf(state: RegistrationState) -> bool {
		!matches!(state, RegistrationState::NotRegistered)
	}

	/// Whether `view`'s identity is held by an S-CSCF the chain names.
	pub fn held_at_scscf(view: &ServerAssignmentView) -> bool {
		let registration = &view.impu.registration;
		Self::holds_scscf(registration.state) && registration.scscf.is_some()
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use ims_primitives::{ImpuKind, ImpuView, Name, PublicIdentityView};

	pub(crate) fn view(impu: u8, members: &[u8], realm: RealmId) -> ServerAssignmentView {
		let id = ImpuId::repeat_byte(impu);
		ServerAssignmentView {
			impu: ImpuView {
				impu: id,
				realm,
				realm_name: Name::truncate_from(b"ims.test".to_vec()),
				subscription: ImpuId::repeat_byte(0xee),
				kind: ImpuKind::PublicIdentity,
				barred: false,
				can_register: true,
				implicit_set: Some(1),
				all_barred: false,
				roaming: Default::default(),
				registration: RegistrationView::default(),
			},
			associated_impis: vec![ImpuId::repeat_byte(0xaa)],
			profiles: vec![ims_primitives::ProfileView {
				id: 7,
				name: Name::truncate_from(b"default".to_vec()),
				identities: members
					.iter()
					.map(|m| PublicIdentityView {
						impu: ImpuId::repeat_byte(*m),
						kind: ImpuKind::PublicIdentity,
						barred: false,
					})
					.collect(),
				ifcs: vec![],
				shared_ifc_sets: vec![],
				subscribed_media_profile: None,
			}],
			charging: None,
		}
	}

	fn registered() -> RegistrationView {
		RegistrationView {
			state: RegistrationState::Registered,
			scscf: Some(Name::truncate_from(b"sip:scscf.ims.test:6060".to_vec())),
		}
	}

	#[test]
	fn barred_identities_an_s_cscf_still_holds_are_owed_an_rtr_and_a_reload_names_the_removed() {
		let index = Index::default();
		let ids: Vec<ImpuId> = (1..=5).map(ImpuId::repeat_byte).collect();
		let mut views: Vec<ServerAssignmentView> = (1..=5u8).map(|i| view(i, &[i], 1)).collect();
		// Barred and registered; barred and unregistered with its services
		// kept at an S-CSCF; barred, held nowhere; registered, not barred;
		// barred and registered on chain, but this bridge's RTR succeeded
		// (its deregistration still pending).
		views[0].impu.barred = true;
		views[0].impu.registration = registered();
		views[1].impu.barred = true;
		views[1].impu.registration =
			RegistrationView { state: RegistrationState::Unregistered, scscf: registered().scscf };
		views[2].impu.barred = true;
		views[3].impu.registration = registered();
		views[4].impu.barred = true;
		views[4].impu.registration = registered();
		let impus = ids.iter().copied().zip(views.into_iter().map(Some)).collect();
		index.apply(Update { impus, full: true, ..Default::default() });
		index.set_registration(&[ids[4]], RegistrationView::default());
		let owed = index.barred_but_held();
		assert_eq!(owed.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![ids[0], ids[1]]);
		assert_eq!(owed[0].1.impu.registration, registered());
		// A full reload that leaves out the second and the fourth: the chain
		// removed them; their views are those from before.
		let reload = Update {
			impus: [0usize, 2, 4]
				.iter()
				.map(|&i| (ids[i], Some(view(i as u8 + 1, &[], 1))))
				.collect(),
			full: true,
			..Default::default()
		};
		let gone = index.left_out_by(&reload);
		assert_eq!(gone.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![ids[1], ids[3]]);
		assert_eq!(gone[0].1.impu.registration.state, RegistrationState::Unregistered);
		assert!(gone[0].1.impu.barred);
	}

	#[test]
	fn pending_registrations_stand_until_the_chain_shows_them() {
		let index = Index::default();
		let (a, b) = (ImpuId::repeat_byte(1), ImpuId::repeat_byte(2));
		index.apply(Update {
			impus: vec![(a, Some(view(1, &[1, 2], 1))), (b, Some(view(2, &[1, 2], 1)))],
			..Default::default()
		});
		index.set_registration(&[a, b], registered());
		assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
		assert_eq!(index.pending_registrations(), 2);
		// A block that does not yet show it keeps the pending state.
		index.apply(Update { impus: vec![(a, Some(view(1, &[1, 2], 1)))], ..Default::default() });
		assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
		// The chain confirms it for `a`.
		let mut confirmed = view(1, &[1, 2], 1);
		confirmed.impu.registration = registered();
		index.apply(Update { impus: vec![(a, Some(confirmed))], ..Default::default() });
		assert_eq!(index.pending_registrations(), 1);
		assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
		// An identity that disappears takes its pending state with it.
		index.apply(Update { impus: vec![(b, None)], ..Default::default() });
		assert_eq!(index.impu(&b), None);
		assert_eq!(index.pending_registrations(), 0);
	}

	#[test]
	fn dependents_cover_implicit_sets_and_profiles() {
		let index = Index::default();
		let ids: Vec<ImpuId> = (1..=4).map(ImpuId::repeat_byte).collect();
		index.apply(Update {
			impus: vec![
				(ids[0], Some(view(1, &[1, 2], 1))),
				(ids[1], Some(view(2, &[1, 2], 1))),
				(ids[2], Some(view(3, &[3], 1))),
				(ids[3], Some(view(4, &[4], 2))),
			],
			..Default::default()
		});
		assert_eq!(index.dependents(&[ids[1]], None), vec![ids[0], ids[1]]);
		assert_eq!(index.dependents(&[], Some((1, Some(7)))), vec![ids[0], ids[1], ids[2]]);
		assert_eq!(index.dependents(&[], Some((2, None))), vec![ids[3]]);
		assert_eq!(index.impus_of_impi(&ImpuId::repeat_byte(0xaa)).len(), 4);
	}

	#[test]
	fn realms_are_found_by_name_in_any_case() {
		let index = Index::default();
		index.apply(Update {
			realms: Some([("IMS.test".to_string(), 3)].into_iter().collect()),
			..Default::default()
		});
		assert_eq!(index.realm("ims.TEST"), Some(3));
		assert_eq!(index.realm("other"), None);
	}
}
