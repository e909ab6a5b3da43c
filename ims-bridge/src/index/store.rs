//! The index's compact form (design note: `docs/index.md`, "Memory").
//!
//! A runtime view repeats, for every public identity, what its whole
//! implicit set shares: the subscription, the realm's name, the associated
//! IMPIs and every service profile with its iFCs. Stored as is, that is
//! about 1.4 KB an identity, 2.8 GB for a million subscribers of two IMPUs.
//! Here each identity keeps only what is its own (a [`Slot`]) and points at
//! one [`Shared`] that its set's members hold in common, found through a
//! member already held; the parts many sets share (profiles, names) are
//! stored once by value (an [`Interner`]). A view is put back together
//! when it is asked for.

use codec::Encode;
use ims_primitives::{
	ChargingInformation, ImpiId, ImplicitSetId, ImpuId, ImpuKind, ImpuView, Name, ProfileView,
	PublicIdentityView, RealmId, RegistrationState, RegistrationView, ServerAssignmentView,
	SubscriptionId, VisitedNetworks,
};
use smallvec::SmallVec;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::Arc;

use super::ImpiEntry;

// A million sets are a million of each of these lists: held inline for
// the usual sizes, each saves a heap allocation and its header per set
// (`docs/index.md`, "Memory").
/// A set's IMPIs: nearly always one.
pub(super) type SetImpis = SmallVec<[ImpiId; 1]>;
/// The identities of a set using one profile: a SIP and a TEL IMPU.
pub(super) type SetMembers = SmallVec<[PublicIdentityView; 2]>;
/// The profiles a set uses: nearly always one.
pub(super) type SetProfiles = SmallVec<[SetProfile; 1]>;

/// A service profile as one implicit set uses it: the profile itself
/// (shared by every set that uses it) and the set's identities using it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct SetProfile {
	/// The profile with no identities: iFCs, shared sets, media profile.
	pub body: Arc<ProfileView>,
	/// The identities of the set that use it.
	pub identities: SetMembers,
}

/// What the views of an implicit set's identities have in common.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) struct Shared {
	pub subscription: SubscriptionId,
	pub realm: RealmId,
	pub realm_name: Arc<Name>,
	pub implicit_set: Option<ImplicitSetId>,
	pub all_barred: bool,
	pub roaming: Arc<VisitedNetworks>,
	pub associated_impis: SetImpis,
	pub profiles: SetProfiles,
	pub charging: Option<Arc<ChargingInformation>>,
}

impl Shared {
	/// The members of the implicit set the view lists.
	pub fn members(&self) -> impl Iterator<Item = ImpuId> + '_ {
		self.profiles.iter().flat_map(|p| p.identities.iter().map(|i| i.impu))
	}

	/// Whether `other` is the same set's part, from any member's view. The
	/// runtime lists the requested identity first, and its profile first,
	/// so the views of a SIP and a TEL IMPU of one set differ in order
	/// alone; compared in order, every set was stored once per member
	/// (`docs/index.md`, "Memory").
	pub fn same_set(&self, other: &Shared) -> bool {
		self.subscription == other.subscription
			&& self.realm == other.realm
			&& self.realm_name == other.realm_name
			&& self.implicit_set == other.implicit_set
			&& self.all_barred == other.all_barred
			&& self.roaming == other.roaming
			&& self.associated_impis == other.associated_impis
			&& self.charging == other.charging
			&& self.profiles.len() == other.profiles.len()
			&& self.profiles.iter().all(|mine| {
				other.profiles.iter().any(|theirs| {
					mine.body == theirs.body
						&& mine.identities.len() == theirs.identities.len()
						&& mine.identities.iter().all(|i| theirs.identities.contains(i))
				})
			})
	}
}

/// What is an identity's own.
#[derive(Clone, Debug)]
pub(super) struct Slot {
	pub kind: ImpuKind,
	pub barred: bool,
	pub can_register: bool,
	pub state: RegistrationState,
	pub scscf: Option<Arc<Name>>,
	pub shared: Arc<Shared>,
}

impl Slot {
	/// Whether the chain shows `registration` for this identity.
	pub fn shows(&self, registration: &Registration) -> bool {
		self.state == registration.state && self.scscf == registration.scscf
	}
}

/// A registration state with its S-CSCF's name interned: what the pending
/// table holds for each identity, 16 bytes instead of a view's 32 and a
/// heap copy of the name (`docs/index.md`, "Memory").
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Registration {
	pub state: RegistrationState,
	pub scscf: Option<Arc<Name>>,
}

impl Registration {
	/// The registration as a view holds it.
	pub fn view(&self) -> RegistrationView {
		RegistrationView { state: self.state, scscf: self.scscf.as_deref().cloned() }
	}

	/// Whether `view` is this registration.
	pub fn is(&self, view: &RegistrationView) -> bool {
		self.state == view.state && self.scscf.as_deref() == view.scscf.as_ref()
	}
}

/// Hashes a value's SCALE encoding without allocating it.
struct EncodingHasher(DefaultHasher);

impl std::io::Write for EncodingHasher {
	fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
		self.0.write(bytes);
		Ok(bytes.len())
	}

	fn flush(&mut self) -> std::io::Result<()> {
		Ok(())
	}
}

fn hash_of<T: Encode>(value: &T) -> u64 {
	let mut hasher = EncodingHasher(DefaultHasher::new());
	value.encode_to(&mut hasher);
	hasher.0.finish()
}

/// Values equal by content, stored once. A hash collision between unequal
/// values only costs the second its sharing.
pub(super) struct Interner<T> {
	values: HashMap<u64, Arc<T>>,
}

impl<T> Default for Interner<T> {
	fn default() -> Self {
		Self { values: HashMap::new() }
	}
}

impl<T: Encode + PartialEq> Interner<T> {
	pub fn intern(&mut self, value: T) -> Arc<T> {
		let hash = hash_of(&value);
		match self.values.get(&hash) {
			Some(held) if **held == value => held.clone(),
			Some(_) => Arc::new(value),
			None => {
				let value = Arc::new(value);
				self.values.insert(hash, value.clone());
				value
			},
		}
	}

	/// Drops the values nothing else holds any more.
	pub fn purge(&mut self) {
		self.values.retain(|_, value| Arc::strong_count(value) > 1);
		self.values.shrink_to_fit();
	}
}

/// Identity changes before shared parts are first looked over for ones no
/// identity uses any more; after that, a quarter of the identities held.
const PURGE_FLOOR: usize = 4096;

/// The compact subscriber model: identities, realms and the interners that
/// keep their shared parts single.
#[derive(Default)]
pub struct Store {
	pub(super) impus: HashMap<ImpuId, Slot>,
	pub(super) impis: HashMap<ImpiId, ImpiEntry>,
	pub(super) realms: HashMap<String, RealmId>,
	profiles: Interner<ProfileView>,
	/// Realm and S-CSCF names.
	names: Interner<Name>,
	roamings: Interner<VisitedNetworks>,
	chargings: Interner<ChargingInformation>,
	/// Identities put in or taken out since the last purge.
	changes: usize,
}

impl Store {
	/// Counts of identities (IMPUs, IMPIs).
	pub fn len(&self) -> (usize, usize) {
		(self.impus.len(), self.impis.len())
	}

	/// Whether it holds no identity.
	pub fn is_empty(&self) -> bool {
		self.impus.is_empty() && self.impis.is_empty()
	}

	/// Whether it holds this public identity.
	pub fn has_impu(&self, impu: &ImpuId) -> bool {
		self.impus.contains_key(impu)
	}

	/// Puts a public identity's view in, or takes the identity out.
	pub fn put_impu(&mut self, impu: ImpuId, view: Option<ServerAssignmentView>) {
		self.changes += 1;
		match view {
			Some(view) => {
				let slot = self.split(view);
				self.impus.insert(impu, slot);
			},
			None => {
				self.impus.remove(&impu);
			},
		}
	}

	/// Gives a held public identity and the other members of its implicit
	/// set the registration an event reports (the chain writes it to each),
	/// without their views; returns the identities given it, none when
	/// `impu` is not held.
	pub fn register(
		&mut self,
		impu: &ImpuId,
		registration: &RegistrationView,
	) -> SmallVec<[ImpuId; 2]> {
		let Some(slot) = self.impus.get(impu) else {
			return SmallVec::new();
		};
		let mut members: SmallVec<[ImpuId; 2]> = slot.shared.members().collect();
		if members.is_empty() {
			members.push(*impu);
		}
		let scscf = registration.scscf.clone().map(|name| self.names.intern(name));
		members.retain(|member| match self.impus.get_mut(member) {
			Some(slot) => {
				slot.state = registration.state;
				slot.scscf = scscf.clone();
				true
			},
			None => false,
		});
		self.changes += members.len();
		members
	}

	/// Puts a private identity in, or takes it out.
	pub fn put_impi(&mut self, impi: ImpiId, entry: Option<ImpiEntry>) {
		match entry {
			Some(entry) => self.impis.insert(impi, entry),
			None => self.impis.remove(&impi),
		};
	}

	/// Replaces the realms (names in any case).
	pub fn set_realms(&mut self, realms: HashMap<String, RealmId>) {
		self.realms = realms.into_iter().map(|(n, r)| (n.to_ascii_lowercase(), r)).collect();
	}

	/// Lets go of shared parts no identity uses any more, once enough
	/// identities changed that the scan is worth it (amortized: a scan of
	/// the shared parts per quarter of the identities changed).
	pub fn purge(&mut self) {
		if self.changes < (self.impus.len() / 4).max(PURGE_FLOOR) {
			return;
		}
		self.changes = 0;
		self.profiles.purge();
		self.names.purge();
		self.roamings.purge();
		self.chargings.purge();
	}

	/// Shared parts held: implicit-set parts (those identities point at),
	/// profiles and names (including those a purge has not let go of yet).
	#[cfg(test)]
	pub(super) fn shared_parts(&self) -> (usize, usize, usize) {
		let sets: std::collections::HashSet<*const Shared> =
			self.impus.values().map(|slot| Arc::as_ptr(&slot.shared)).collect();
		(sets.len(), self.profiles.values.len(), self.names.values.len())
	}

	pub(super) fn intern_name(&mut self, name: Name) -> Arc<Name> {
		self.names.intern(name)
	}

	/// `view` with its S-CSCF's name interned.
	pub(super) fn registration(&mut self, view: RegistrationView) -> Registration {
		Registration { state: view.state, scscf: view.scscf.map(|name| self.names.intern(name)) }
	}

	pub(super) fn intern_roaming(&mut self, roaming: VisitedNetworks) -> Arc<VisitedNetworks> {
		self.roamings.intern(roaming)
	}

	pub(super) fn intern_charging(
		&mut self,
		charging: ChargingInformation,
	) -> Arc<ChargingInformation> {
		self.chargings.intern(charging)
	}

	pub(super) fn intern_profile(&mut self, profile: ProfileView) -> Arc<ProfileView> {
		self.profiles.intern(profile)
	}

	fn split(&mut self, view: ServerAssignmentView) -> Slot {
		let ServerAssignmentView { impu, associated_impis, profiles, charging } = view;
		let profiles = profiles
			.into_iter()
			.map(|mut profile| {
				let identities = SetMembers::from_vec(std::mem::take(&mut profile.identities));
				SetProfile { body: self.profiles.intern(profile), identities }
			})
			.collect();
		let shared = Shared {
			subscription: impu.subscription,
			realm: impu.realm,
			realm_name: self.names.intern(impu.realm_name),
			implicit_set: impu.implicit_set,
			all_barred: impu.all_barred,
			roaming: self.roamings.intern(impu.roaming),
			associated_impis: SetImpis::from_vec(associated_impis),
			profiles,
			charging: charging.map(|c| self.chargings.intern(c)),
		};
		Slot {
			kind: impu.kind,
			barred: impu.barred,
			can_register: impu.can_register,
			state: impu.registration.state,
			scscf: impu.registration.scscf.map(|name| self.names.intern(name)),
			shared: self.share(&impu.impu, shared),
		}
	}

	/// `impu`'s set part: the one a fellow member of its set holds when it
	/// is the same set's, so that a set is stored once without an interner
	/// of every set (a million entries, and a hash of each part, at a
	/// million subscribers).
	fn share(&self, impu: &ImpuId, shared: Shared) -> Arc<Shared> {
		self.fellows_part(impu, &shared).unwrap_or_else(|| Arc::new(shared))
	}

	/// `shared`, or the same set's part that a fellow member holds: the
	/// snapshots written before 2026-12-05 hold a part per member.
	pub(super) fn shared_with_fellows(&self, impu: &ImpuId, shared: Arc<Shared>) -> Arc<Shared> {
		self.fellows_part(impu, &shared).unwrap_or(shared)
	}

	/// The part a fellow member of `impu`'s set holds, if it is the same
	/// set's as `shared`.
	fn fellows_part(&self, impu: &ImpuId, shared: &Shared) -> Option<Arc<Shared>> {
		shared
			.members()
			.filter(|member| member != impu)
			.filter_map(|member| self.impus.get(&member))
			.find(|slot| std::ptr::eq(&*slot.shared, shared) || slot.shared.same_set(shared))
			.map(|slot| slot.shared.clone())
	}
}

/// Puts a view back together, `impu` and its profile first as the runtime
/// lists them; the other members and profiles follow in the order of the
/// view the set's part was first made from (the same order for a set of
/// two identities).
pub(super) fn join(impu: ImpuId, slot: &Slot) -> ServerAssignmentView {
	let shared = &*slot.shared;
	let mut view = ServerAssignmentView {
		impu: ImpuView {
			impu,
			realm: shared.realm,
			realm_name: Name::clone(&shared.realm_name),
			subscription: shared.subscription,
			kind: slot.kind,
			barred: slot.barred,
			can_register: slot.can_register,
			implicit_set: shared.implicit_set,
			all_barred: shared.all_barred,
			roaming: VisitedNetworks::clone(&shared.roaming),
			registration: RegistrationView {
				state: slot.state,
				scscf: slot.scscf.as_deref().cloned(),
			},
		},
		associated_impis: shared.associated_impis.to_vec(),
		profiles: shared
			.profiles
			.iter()
			.map(|p| ProfileView {
				identities: p.identities.to_vec(),
				..ProfileView::clone(&p.body)
			})
			.collect(),
		charging: shared.charging.as_deref().cloned(),
	};
	first(&mut view.profiles, |p| p.identities.iter().any(|i| i.impu == impu));
	if let Some(profile) = view.profiles.first_mut() {
		first(&mut profile.identities, |i| i.impu == impu);
	}
	view
}

/// Moves the first item that `is` picks to the front, the others keeping
/// their order.
fn first<T>(items: &mut [T], is: impl Fn(&T) -> bool) {
	if let Some(at) = items.iter().position(is) {
		if let Some(head) = items.get_mut(..=at) {
			head.rotate_right(1);
		}
	}
}
