//! A test runtime: system, the real identity pallet (the directory, asking
//! this pallet for authorisations) and this pallet, with an audit sink that
//! tests can inspect.

use crate::{self as pallet_ims_access};
use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{ConstU32, GetCallIndex, PalletInfoAccess},
};
use frame_system::{EnsureRoot, RawOrigin};
use ims_primitives::{
	AuditSink, AuthScheme, AuthSchemes, CallScope, Change, ImpiId, Pseudonym, RealmId, Role,
	Subject, SubscriptionId,
};
use sp_runtime::{BuildStorage, DispatchError};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Identity: pallet_ims_identity,
		Access: pallet_ims_access,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// Realm 0, `ims.example.net`.
pub const REALM: RealmId = 0;
/// Realm 1, `ims.other.net`.
pub const OTHER_REALM: RealmId = 1;
/// Owner of realm 0.
pub const OWNER: u64 = 1;
/// Realm admin of realm 0 by grant.
pub const ADMIN: u64 = 2;
/// Provisioner in realm 0.
pub const PROVISIONER: u64 = 3;
/// HSS front in realm 0.
pub const FRONT: u64 = 4;
/// Auditor in realm 0.
pub const AUDITOR: u64 = 5;
/// Owner of realm 1.
pub const OTHER_OWNER: u64 = 6;
/// Realm admin of realm 1 by grant.
pub const OTHER_ADMIN: u64 = 7;
/// Holds nothing.
pub const STRANGER: u64 = 9;

/// Audit records received: `(actor, realm, subject, change)`.
pub type AuditRecord = (Option<u64>, RealmId, Subject<u64>, Change);

thread_local! {
	static AUDIT: RefCell<Vec<AuditRecord>> = const { RefCell::new(Vec::new()) };
}

/// Keeps every record, from both pallets, for the test to read.
pub struct TestAuditSink;
impl AuditSink<u64> for TestAuditSink {
	fn record(actor: Option<&u64>, realm: RealmId, subject: Subject<u64>, change: Change) {
		AUDIT.with(|audit| audit.borrow_mut().push((actor.copied(), realm, subject, change)));
	}
}

/// Take the audit records received so far.
pub fn take_audit() -> Vec<AuditRecord> {
	AUDIT.with(|audit| core::mem::take(&mut *audit.borrow_mut()))
}

impl pallet_ims_identity::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type Authorizer = Access;
	type AuditSink = TestAuditSink;
	type Observer = Access;
	type MaxImpisPerSubscription = ConstU32<2>;
	type MaxImpusPerSubscription = ConstU32<4>;
	type MaxBatchSize = ConstU32<8>;
	type MaxRegistrationBatch = ConstU32<8>;
	type MaxImportSubscribers = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

impl pallet_ims_access::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type Directory = Identity;
	type AuditSink = TestAuditSink;
	type DenialScope = Watch;
	type RuntimeCall = RuntimeCall;
	type AgentCalls = ImsCalls;
	type MaxServiceIndications = ConstU32<4>;
	type MaxConsentsPerSubscription = ConstU32<3>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = IdentityHelper;
}

/// The calls an agent may make: the IMS pallets', as in the runtime (and an
/// empty remark in benchmark builds, for `act_for`'s own weight).
pub struct ImsCalls;
impl frame_support::traits::Contains<RuntimeCall> for ImsCalls {
	fn contains(call: &RuntimeCall) -> bool {
		#[cfg(feature = "runtime-benchmarks")]
		if matches!(call, RuntimeCall::System(frame_system::Call::remark { .. })) {
			return true;
		}
		matches!(call, RuntimeCall::Identity(_) | RuntimeCall::Access(_))
	}
}

/// Watches the identity and access calls, as the runtime does.
pub struct Watch;
impl crate::DenialScope<RuntimeCall> for Watch {
	fn scope(call: &RuntimeCall) -> Option<(CallScope, u8, u8)> {
		let (scope, pallet, index) = match call {
			RuntimeCall::Identity(call) => {
				(call.scope()?, Identity::index(), call.get_call_index())
			},
			RuntimeCall::Access(call) => (call.scope()?, Access::index(), call.get_call_index()),
			_ => return None,
		};
		Some((scope, pallet as u8, index))
	}

	fn is_denial(error: &DispatchError) -> bool {
		[
			pallet_ims_identity::Error::<Test>::NotAuthorized.into(),
			crate::Error::<Test>::NotAuthorized.into(),
			crate::Error::<Test>::SelfGrant.into(),
			crate::Error::<Test>::GrantExpired.into(),
		]
		.contains(error)
	}
}

/// Makes realms and subscribers through the identity pallet's calls.
pub struct IdentityHelper;

impl IdentityHelper {
	/// Create subscription `subscription` in `realm` with the private
	/// identity `impi`.
	pub fn subscriber(realm: RealmId, subscription: SubscriptionId, impi: ImpiId) {
		Identity::create_subscription(RawOrigin::Root.into(), realm, subscription)
			.expect("a new subscription in an existing realm");
		Identity::create_impi(
			RawOrigin::Root.into(),
			subscription,
			impi,
			AuthSchemes::of(&[AuthScheme::SipDigest]),
			AuthScheme::SipDigest,
		)
		.expect("a new IMPI in an existing subscription");
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64> for IdentityHelper {
	fn realm(owner: u64) -> RealmId {
		let realm = pallet_ims_identity::NextRealmId::<Test>::get();
		let name = format!("bench{realm}.example.net").into_bytes().try_into().expect("short");
		Identity::create_realm(RawOrigin::Root.into(), name, owner).expect("a new realm name");
		realm
	}

	fn subscriber(realm: RealmId, index: u32) -> (Pseudonym, SubscriptionId) {
		let (subscription, impi) = (pseudonym(0x5b, index), pseudonym(0x1a, index));
		IdentityHelper::subscriber(realm, subscription, impi);
		(impi, subscription)
	}
}

/// A pseudonym made of `kind` and `index`.
pub fn pseudonym(kind: u8, index: u32) -> Pseudonym {
	let mut raw = [kind; 32];
	raw[..4].copy_from_slice(&index.to_le_bytes());
	Pseudonym::from(raw)
}

/// Genesis with two realms and the roles above.
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build() -> sp_io::TestExternalities {
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			identity: pallet_ims_identity::GenesisConfig {
				realms: vec![
					("ims.example.net".into(), OWNER),
					("ims.other.net".into(), OTHER_OWNER),
				],
				service_profiles: vec![],
			},
			access: pallet_ims_access::GenesisConfig {
				roles: vec![
					(REALM, ADMIN, Role::RealmAdmin),
					(REALM, PROVISIONER, Role::Provisioner),
					(REALM, FRONT, Role::HssFront),
					(REALM, AUDITOR, Role::Auditor),
					(OTHER_REALM, OTHER_ADMIN, Role::RealmAdmin),
				],
			},
		}
		.build_storage()
		.unwrap();
		AUDIT.with(|audit| audit.borrow_mut().clear());
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			take_audit();
		});
		ext
	}

	/// Run `test`, then check every invariant of the pallet.
	pub fn build_and_execute(test: impl FnOnce()) {
		Self::build().execute_with(|| {
			test();
			crate::Pallet::<Test>::do_try_state().expect("invariants hold after the test");
		})
	}
}
