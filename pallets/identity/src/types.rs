//! Storage records of the subscriber model.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use ims_primitives::{
	AuthScheme, AuthSchemes, ChargingId, ImpiId, ImplicitSetId, ImpuId, ImpuKind, Name, ProfileId,
	RealmId, RegistrationState, SubscriptionId, VisitedNetworks,
};
use scale_info::TypeInfo;

/// A home network domain and who runs it.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RealmInfo<AccountId> {
	/// The operator account that owns the realm.
	pub owner: AccountId,
	/// The domain, e.g. `ims.example.net`.
	pub name: Name,
	/// Subscriptions in the realm.
	pub subscriptions: u32,
	/// Service profiles, shared iFC sets, application servers and charging
	/// records in the realm.
	pub services: u32,
}

/// An IMS subscription (IMSU) and the identities that hang from it.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(MaxImpis, MaxImpus))]
#[codec(mel_bound())]
pub struct Subscription<MaxImpis: Get<u32>, MaxImpus: Get<u32>> {
	/// Its realm.
	pub realm: RealmId,
	/// Its private identities.
	pub impis: BoundedVec<ImpiId, MaxImpis>,
	/// Its public identities.
	pub impus: BoundedVec<ImpuId, MaxImpus>,
}

/// A private identity (IMPI).
///
/// Its links live in the record: each link then costs no storage entry of
/// its own, and a subscriber is one entry per identity and one for its
/// subscription (`docs/bulk-import.md`, "Storage layout").
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(MaxImpus))]
#[codec(mel_bound())]
pub struct ImpiRecord<MaxImpus: Get<u32>> {
	/// Its subscription.
	pub subscription: SubscriptionId,
	/// Its realm (the subscription's).
	pub realm: RealmId,
	/// Schemes it may authenticate with.
	pub schemes: AuthSchemes,
	/// The scheme used when a request names none.
	pub default_scheme: AuthScheme,
	/// Bumped when its credentials rotate in the vault.
	pub credential_epoch: u32,
	/// Public identities linked to it (all of its subscription), in the
	/// order they were linked.
	pub impus: BoundedVec<ImpuId, MaxImpus>,
}

/// A public identity (IMPU) or public service identity.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ImpuRecord {
	/// Its subscription.
	pub subscription: SubscriptionId,
	/// Its realm (the subscription's).
	pub realm: RealmId,
	/// Identity kind.
	pub kind: ImpuKind,
	/// Barred from originating and receiving sessions.
	pub barred: bool,
	/// May register.
	pub can_register: bool,
	/// Its implicit registration set.
	pub implicit_set: Option<ImplicitSetId>,
	/// Its service profile, in its realm.
	pub service_profile: ProfileId,
	/// Its charging information, in its realm.
	pub charging: Option<ChargingId>,
	/// Visited networks it may register from.
	pub roaming: VisitedNetworks,
	/// Private identities linked to it.
	pub impis: u32,
}

/// Attributes of a new public identity.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ImpuAttributes {
	/// Identity kind.
	pub kind: ImpuKind,
	/// Barred.
	pub barred: bool,
	/// May register.
	pub can_register: bool,
	/// Implicit registration set to join (created with this identity as its
	/// default if it does not exist yet).
	pub implicit_set: Option<ImplicitSetId>,
	/// Service profile.
	pub service_profile: ProfileId,
	/// Charging information.
	pub charging: Option<ChargingId>,
	/// Roaming allow-list.
	pub roaming: VisitedNetworks,
}

/// An implicit registration set: identities that register together. The
/// first member is the default identity and is never barred.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(MaxMembers))]
#[codec(mel_bound())]
pub struct ImplicitSet<MaxMembers: Get<u32>> {
	/// The members, default first.
	pub members: BoundedVec<ImpuId, MaxMembers>,
}

/// Registration state of a public identity as the HSS fronts recorded it.
/// Absent from storage = not registered, no S-CSCF.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RegistrationRecord<BlockNumber> {
	/// The state.
	pub state: RegistrationState,
	/// The assigned S-CSCF.
	pub scscf: Option<Name>,
	/// The block it was recorded in.
	pub updated_at: BlockNumber,
}

/// Operator data shared by several records, with the number of records that
/// refer to it (it can be removed only when none does).
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Shared<V> {
	/// The data.
	pub value: V,
	/// Records referring to it.
	pub users: u32,
}

/// One item of a bulk import; each is applied exactly as the call of the
/// same name would be.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum ImportItem {
	/// `create_subscription`.
	Subscription {
		/// Realm.
		realm: RealmId,
		/// Subscription pseudonym.
		subscription: SubscriptionId,
	},
	/// `create_impi`.
	Impi {
		/// Subscription.
		subscription: SubscriptionId,
		/// IMPI pseudonym.
		impi: ImpiId,
		/// Allowed schemes.
		schemes: AuthSchemes,
		/// Default scheme.
		default_scheme: AuthScheme,
	},
	/// `create_impu`.
	Impu {
		/// Subscription.
		subscription: SubscriptionId,
		/// IMPU pseudonym.
		impu: ImpuId,
		/// Attributes.
		attributes: ImpuAttributes,
	},
	/// `link`.
	Link {
		/// IMPI.
		impi: ImpiId,
		/// IMPU.
		impu: ImpuId,
	},
}

/// A private identity of an imported subscriber, as `create_impi` takes it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ImpiImport {
	/// IMPI pseudonym.
	pub impi: ImpiId,
	/// Allowed schemes.
	pub schemes: AuthSchemes,
	/// Default scheme.
	pub default_scheme: AuthScheme,
}

/// A public identity of an imported subscriber, as `create_impu` takes it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ImpuImport {
	/// IMPU pseudonym.
	pub impu: ImpuId,
	/// Attributes.
	pub attributes: ImpuAttributes,
}

/// A link of an imported subscriber: the IMPI at the first index of its
/// `impis` with the IMPU at the second index of its `impus`.
pub type LinkImport = (u8, u8);

/// One whole subscriber of `import_subscribers`: a new subscription with
/// its identities and their links, all in the call's realm.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxImpis, MaxImpus))]
#[codec(mel_bound())]
pub struct SubscriberImport<MaxImpis: Get<u32>, MaxImpus: Get<u32>> {
	/// Subscription pseudonym.
	pub subscription: SubscriptionId,
	/// Its private identities.
	pub impis: BoundedVec<ImpiImport, MaxImpis>,
	/// Its public identities.
	pub impus: BoundedVec<ImpuImport, MaxImpus>,
	/// Its links, by index into `impis` and `impus`.
	pub links: BoundedVec<LinkImport, Product<MaxImpis, MaxImpus>>,
}

/// `A * B`: the links a subscription may hold.
pub struct Product<A, B>(core::marker::PhantomData<(A, B)>);

impl<A: Get<u32>, B: Get<u32>> Get<u32> for Product<A, B> {
	fn get() -> u32 {
		A::get().saturating_mul(B::get())
	}
}

/// One registration-state report of an HSS front.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct RegistrationUpdate {
	/// The public identity (its whole implicit set takes the state).
	pub impu: ImpuId,
	/// The new state.
	pub state: RegistrationState,
	/// The S-CSCF: required for `Registered` and `Unregistered`, absent for
	/// `NotRegistered`.
	pub scscf: Option<Name>,
}
