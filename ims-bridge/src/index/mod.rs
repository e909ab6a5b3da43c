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

use codec::{Decode, Encode};
use ims_primitives::{
	AuthScheme, AuthSchemes, ImpiId, ImpuId, RealmId, RegistrationState, RegistrationView,
	ServerAssignmentView,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

pub mod snapshot;
mod store;
use store::Registration;
pub use store::Store;

/// What MAR needs of a private identity.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct At {
	/// Block number.
	pub number: u32,
	/// Block hash.
	pub hash: [u8; 32],
}

/// Pending registrations whose table is kept whatever it holds; above it,
/// a table three quarters empty is shrunk (`docs/index.md`, "Memory").
const OVERLAY_FLOOR: usize = 4096;

/// Shrinks the pending registrations' table once the chain has confirmed
/// most of what it held: after a network's registrations come back at once
/// it had grown to every identity, some 200 MB at a million subscribers,
/// and a hash table never gives its buckets back by itself. Returns whether
/// it shrank, so that the caller hands freed memory back to the system.
fn shrink_overlay(overlay: &mut HashMap<ImpuId, Registration>) -> bool {
	let capacity = overlay.capacity();
	if capacity <= OVERLAY_FLOOR || overlay.len() >= capacity / 4 {
		return false;
	}
	overlay.shrink_to(overlay.len().saturating_mul(2).max(OVERLAY_FLOOR));
	overlay.capacity() < capacity
}

#[derive(Default)]
struct State {
	at: Option<At>,
	store: Store,
	/// Registrations this bridge's SARs set, until the chain shows them.
	overlay: HashMap<ImpuId, Registration>,
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
	/// Registrations the block's events report, in their order, each for
	/// an identity and the members of its implicit set (the chain writes
	/// the same record to each), applied without reading their views.
	pub registrations: Vec<(ImpuId, RegistrationView)>,
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
		self.read().store.len()
	}

	/// Whether nothing is cached.
	pub fn is_empty(&self) -> bool {
		self.read().store.is_empty()
	}

	/// A public identity's view, with this bridge's pending registration
	/// state applied.
	pub fn impu(&self, impu: &ImpuId) -> Option<Arc<ServerAssignmentView>> {
		let state = self.read();
		let slot = state.store.impus.get(impu)?;
		let mut view = store::join(*impu, slot);
		if let Some(pending) = state.overlay.get(impu) {
			view.impu.registration = pending.view();
		}
		Some(Arc::new(view))
	}

	/// How many identities a registration of `impu` writes on chain: its
	/// implicit set's members, or itself alone.
	pub fn implicit_set_size(&self, impu: &ImpuId) -> Option<u32> {
		let state = self.read();
		let slot = state.store.impus.get(impu)?;
		Some((slot.shared.members().count() as u32).max(1))
	}

	/// The subscription of a public identity.
	pub fn subscription_of(&self, impu: &ImpuId) -> Option<ImpuId> {
		self.read().store.impus.get(impu).map(|slot| slot.shared.subscription)
	}

	/// A private identity.
	pub fn impi(&self, impi: &ImpiId) -> Option<ImpiEntry> {
		self.read().store.impis.get(impi).cloned()
	}

	/// A realm by its name (the home network domain).
	pub fn realm(&self, name: &str) -> Option<RealmId> {
		self.read().store.realms.get(&name.to_ascii_lowercase()).copied()
	}

	/// Every realm the index knows.
	pub fn realms(&self) -> Vec<(String, RealmId)> {
		self.read().store.realms.iter().map(|(n, r)| (n.clone(), *r)).collect()
	}

	/// Records the state this bridge's SAR gave `members` (a whole implicit
	/// set), until the chain confirms it.
	pub fn set_registration(&self, members: &[ImpuId], registration: RegistrationView) {
		let mut state = self.write();
		let pending = state.store.registration(registration);
		for member in members {
			state.overlay.insert(*member, pending.clone());
		}
	}

	/// Identities whose pending state differs from the chain's.
	pub fn pending_registrations(&self) -> usize {
		self.read().overlay.len()
	}

	/// Applies a batch read at one finalized block. Pending registration
	/// states that the chain now shows are dropped.
	pub fn apply(&self, update: Update) {
		let mut guard = self.write();
		let state = &mut *guard;
		if update.full {
			state.store = Store::default();
		}
		for (impu, view) in update.impus {
			let confirmed = match (&view, state.overlay.get(&impu)) {
				(Some(view), Some(pending)) => pending.is(&view.impu.registration),
				(None, _) => true,
				(Some(_), None) => false,
			};
			if confirmed {
				state.overlay.remove(&impu);
			}
			state.store.put_impu(impu, view);
		}
		for (impu, registration) in update.registrations {
			for member in state.store.register(&impu, &registration) {
				if state.overlay.get(&member).is_some_and(|pending| pending.is(&registration)) {
					state.overlay.remove(&member);
				}
			}
		}
		for (impi, entry) in update.impis {
			state.store.put_impi(impi, entry);
		}
		if let Some(realms) = update.realms {
			state.store.set_realms(realms);
		}
		state.store.purge();
		state.at = Some(update.at);
		let shrunk = shrink_overlay(&mut state.overlay);
		drop(guard);
		if shrunk {
			crate::memory::release_freed();
		}
	}

	/// Replaces everything with `store`, read in full at `at`. Pending
	/// registration states it shows, or of identities it lacks, are dropped.
	/// What the load freed (and the store replaced) goes back to the system.
	pub fn install(&self, store: Store, at: At) {
		let replaced = {
			let mut state = self.write();
			let state = &mut *state;
			state.overlay.retain(|impu, pending| {
				store.impus.get(impu).is_some_and(|slot| !slot.shows(pending))
			});
			state.at = Some(at);
			std::mem::replace(&mut state.store, store)
		};
		drop(replaced);
		crate::memory::release_freed();
	}

	/// Public identities the chain holds barred while an S-CSCF still holds
	/// them (registered, or unregistered with services kept there), with
	/// their views, in a stable order: each is owed an RTR. The chain barred
	/// it while no bridge followed the chain, or every RTR for it went
	/// unanswered; after a successful RTR the identity is no longer held.
	pub fn barred_but_held(&self) -> Vec<(ImpuId, Arc<ServerAssignmentView>)> {
		let mut barred: Vec<ImpuId> = {
			let state = self.read();
			state.store.impus.iter().filter(|(_, slot)| slot.barred).map(|(id, _)| *id).collect()
		};
		barred.sort();
		barred
			.into_iter()
			.filter_map(|id| {
				self.impu(&id).filter(|view| Self::held_at_scscf(view)).map(|v| (id, v))
			})
			.collect()
	}

	/// The public identities of the index that `store` (a full reload)
	/// leaves out, with their views: the chain removed them meanwhile.
	pub fn left_out_by(&self, store: &Store) -> Vec<(ImpuId, Arc<ServerAssignmentView>)> {
		let mut gone: Vec<ImpuId> = {
			let state = self.read();
			state.store.impus.keys().filter(|id| !store.has_impu(id)).copied().collect()
		};
		gone.sort();
		gone.into_iter().filter_map(|id| Some((id, self.impu(&id)?))).collect()
	}

	/// `impus` with every cached public identity whose view mentions one of
	/// them (the members of their implicit sets), and every one that uses
	/// profile `profile` of `realm` (or any profile of it): the identities a
	/// change to those must refresh. Only a realm or profile change scans
	/// the whole index.
	pub fn dependents(
		&self,
		impus: &[ImpuId],
		profile_of_realm: Option<(RealmId, Option<u32>)>,
	) -> Vec<ImpuId> {
		let state = self.read();
		let mut out: Vec<ImpuId> = impus.to_vec();
		for impu in impus {
			if let Some(slot) = state.store.impus.get(impu) {
				out.extend(slot.shared.members());
			}
		}
		if let Some((realm, profile)) = profile_of_realm {
			let uses = |shared: &store::Shared| {
				shared.realm == realm
					&& profile.is_none_or(|id| shared.profiles.iter().any(|p| p.body.id == id))
			};
			out.extend(
				state.store.impus.iter().filter(|(_, slot)| uses(&slot.shared)).map(|(id, _)| *id),
			);
		}
		out.sort();
		out.dedup();
		out
	}

	/// Public identities of these subscriptions, for refreshes.
	pub fn impus_of_subscriptions(&self, subscriptions: &BTreeSet<ImpuId>) -> Vec<ImpuId> {
		if subscriptions.is_empty() {
			return Vec::new();
		}
		let state = self.read();
		state
			.store
			.impus
			.iter()
			.filter(|(_, slot)| subscriptions.contains(&slot.shared.subscription))
			.map(|(id, _)| *id)
			.collect()
	}

	/// Private identities of these subscriptions, for refreshes.
	pub fn impis_of_subscriptions(&self, subscriptions: &BTreeSet<ImpuId>) -> Vec<ImpiId> {
		if subscriptions.is_empty() {
			return Vec::new();
		}
		let state = self.read();
		state
			.store
			.impis
			.iter()
			.filter(|(_, entry)| subscriptions.contains(&entry.subscription))
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
pub(crate) mod tests;
