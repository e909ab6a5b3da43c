//! A test runtime: system + this pallet, with an authorizer and an audit sink
//! that tests can inspect.

use crate::{self as pallet_ims_identity, Realms};
use core::cell::RefCell;
use frame_support::{derive_impl, traits::ConstU32};
use frame_system::EnsureRoot;
use ims_primitives::{
	AuditSink, Authorizer, Change, IdentityObserver, Permission, RealmId, Subject, SubscriptionId,
};
use sp_runtime::{BuildStorage, Weight};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Identity: pallet_ims_identity,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	/// Real database weights, so that migrations' weights can be checked.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

/// Owner of realm 0 (`ims.example.net`).
pub const OWNER: u64 = 1;
/// Holds `Provision` in realm 0 only.
pub const PROVISIONER: u64 = 2;
/// Holds `RecordRegistration` in realm 0 only.
pub const FRONT: u64 = 3;
/// Holds `RotateCredentials` in realm 0 only.
pub const VAULT: u64 = 4;
/// Owner of realm 1 (`ims.other.net`).
pub const OTHER_OWNER: u64 = 5;
/// Holds nothing.
pub const STRANGER: u64 = 9;

/// Audit records received: `(actor, realm, subject, change)`.
pub type AuditRecord = (Option<u64>, RealmId, Subject<u64>, Change);

thread_local! {
	static GRANTS: RefCell<Vec<(u64, RealmId, Permission)>> = const { RefCell::new(Vec::new()) };
	static AUDIT: RefCell<Vec<AuditRecord>> = const { RefCell::new(Vec::new()) };
	static SINK_CALLS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
	static REALMS_IN_USE: RefCell<Vec<RealmId>> = const { RefCell::new(Vec::new()) };
	static ERASED: RefCell<Vec<SubscriptionId>> = const { RefCell::new(Vec::new()) };
}

/// Realm owners hold everything (as in the runtime); other accounts hold
/// what the test granted.
pub struct TestAuthorizer;
impl Authorizer<u64> for TestAuthorizer {
	fn is_authorized(who: &u64, realm: RealmId, permission: Permission) -> bool {
		Realms::<Test>::get(realm).is_some_and(|info| info.owner == *who)
			|| GRANTS.with(|grants| grants.borrow().contains(&(*who, realm, permission)))
	}
}

/// Keeps every record for the test to read.
pub struct TestAuditSink;
impl AuditSink<u64> for TestAuditSink {
	fn record(actor: Option<&u64>, realm: RealmId, subject: Subject<u64>, change: Change) {
		SINK_CALLS.with(|calls| calls.borrow_mut().push(1));
		AUDIT.with(|audit| audit.borrow_mut().push((actor.copied(), realm, subject, change)));
	}

	fn record_all(actor: Option<&u64>, realm: RealmId, changes: Vec<(Subject<u64>, Change)>) {
		SINK_CALLS.with(|calls| calls.borrow_mut().push(changes.len()));
		AUDIT.with(|audit| {
			let mut audit = audit.borrow_mut();
			for (subject, change) in changes {
				audit.push((actor.copied(), realm, subject, change));
			}
		});
	}

	/// A weight of its own, so the tests tell it from the caller's.
	fn record_all_weight(changes: u32) -> Weight {
		Weight::from_parts(1_000_000, 0).saturating_mul(u64::from(changes))
	}
}

/// How many changes each call to the audit sink carried, since the last
/// look.
pub fn take_sink_calls() -> Vec<usize> {
	SINK_CALLS.with(|calls| core::mem::take(&mut *calls.borrow_mut()))
}

/// Take the audit records received so far.
pub fn take_audit() -> Vec<AuditRecord> {
	AUDIT.with(|audit| core::mem::take(&mut *audit.borrow_mut()))
}

/// What [`TestObserver`] charges for a subscription erased.
pub const ERASE_WEIGHT: Weight = Weight::from_parts(1_000, 10);

/// Keeps the realms a test marks in use, and remembers erased subscriptions.
pub struct TestObserver;
impl IdentityObserver for TestObserver {
	fn realm_in_use(realm: RealmId) -> bool {
		REALMS_IN_USE.with(|realms| realms.borrow().contains(&realm))
	}
	fn realm_in_use_weight() -> Weight {
		Weight::zero()
	}
	fn subscription_erased(subscription: SubscriptionId) -> Weight {
		ERASED.with(|erased| erased.borrow_mut().push(subscription));
		ERASE_WEIGHT
	}
	fn subscription_erased_max_weight() -> Weight {
		ERASE_WEIGHT
	}
}

/// Make another pallet hold records of `realm`.
pub fn use_realm(realm: RealmId) {
	REALMS_IN_USE.with(|realms| realms.borrow_mut().push(realm));
}

/// Take the subscriptions the observer was told were erased.
pub fn take_erased() -> Vec<SubscriptionId> {
	ERASED.with(|erased| core::mem::take(&mut *erased.borrow_mut()))
}

impl pallet_ims_identity::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type Authorizer = TestAuthorizer;
	type AuditSink = TestAuditSink;
	type Observer = TestObserver;
	type MaxImpisPerSubscription = ConstU32<2>;
	type MaxImpusPerSubscription = ConstU32<4>;
	type MaxBatchSize = ConstU32<8>;
	type MaxRegistrationBatch = ConstU32<8>;
	type MaxImportSubscribers = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

/// Genesis with two realms and the grants above.
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
		}
		.build_storage()
		.unwrap();
		GRANTS.with(|grants| {
			*grants.borrow_mut() = vec![
				(PROVISIONER, 0, Permission::Provision),
				(FRONT, 0, Permission::RecordRegistration),
				(VAULT, 0, Permission::RotateCredentials),
			]
		});
		AUDIT.with(|audit| audit.borrow_mut().clear());
		SINK_CALLS.with(|calls| calls.borrow_mut().clear());
		REALMS_IN_USE.with(|realms| realms.borrow_mut().clear());
		ERASED.with(|erased| erased.borrow_mut().clear());
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			take_audit();
		});
		ext
	}

	/// Forget the realms marked in use.
	pub fn reset_observer() {
		REALMS_IN_USE.with(|realms| realms.borrow_mut().clear());
	}

	/// Run `test`, then check every invariant of the pallet.
	pub fn build_and_execute(test: impl FnOnce()) {
		Self::build().execute_with(|| {
			test();
			crate::Pallet::<Test>::do_try_state().expect("invariants hold after the test");
		})
	}
}
