//! A test runtime: system and this pallet, with a fixed directory of realms,
//! a fixed set of HSS fronts and a settable clock.

use crate::{self as pallet_ims_audit};
use core::time::Duration;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Hooks, UnixTime},
};
use ims_primitives::{
	audit::{Activity, FrontRecord, Peer},
	Authorizer, Directory, Permission, Pseudonym, RealmId, Subject, SubscriptionId,
};
use sp_core::H256;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Audit: pallet_ims_audit,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// A realm where [`FRONT`] submits.
pub const REALM: RealmId = 1;
/// A realm where [`FRONT`] and [`OTHER_FRONT`] submit.
pub const SHARED_REALM: RealmId = 2;
/// A realm nobody submits in.
pub const CLOSED_REALM: RealmId = 3;
/// No such realm.
pub const NO_REALM: RealmId = 9;
/// Front of realms 1 and 2.
pub const FRONT: u64 = 1;
/// Front of realm 2 only.
pub const OTHER_FRONT: u64 = 2;
/// Holds nothing.
pub const STRANGER: u64 = 3;
/// Owner of every realm; not a front.
pub const OWNER: u64 = 100;
/// Records in one batch.
pub const MAX_BATCH: u32 = 8;
/// Changes buffered per block.
pub const MAX_PENDING: u32 = 4;

/// Realms 1 to 3, owned by [`OWNER`], whose subscribers are the
/// pseudonyms [`subscriber`] makes.
pub struct TestDirectory;
impl Directory<u64> for TestDirectory {
	fn realm_owner(realm: RealmId) -> Option<u64> {
		(1..=3).contains(&realm).then_some(OWNER)
	}

	fn subscription_of(subscriber: Pseudonym) -> Option<(RealmId, SubscriptionId)> {
		let [realm, _, rest @ ..] = subscriber.0;
		let realm = RealmId::from(realm);
		(rest == [SUBSCRIBER_FILL; 30] && Self::realm_owner(realm).is_some())
			.then_some((realm, subscriber))
	}

	fn realm_of(subject: &Subject<u64>) -> Option<RealmId> {
		let pseudonym = ims_primitives::audit::subscriber_of(subject)?;
		Self::subscription_of(pseudonym).map(|(realm, _)| realm)
	}
}

/// The bytes after the realm and number in a subscriber's pseudonym.
const SUBSCRIBER_FILL: u8 = 0x5a;

/// The pseudonym of subscriber `n` of `realm` (of no realm's if `realm` is
/// not 1 to 3).
pub fn subscriber(realm: RealmId, n: u8) -> H256 {
	let mut pseudonym = [SUBSCRIBER_FILL; 32];
	pseudonym[0] = u8::try_from(realm).unwrap_or(u8::MAX);
	pseudonym[1] = n;
	H256(pseudonym)
}

/// [`FRONT`] submits in realms 1 and 2, [`OTHER_FRONT`] in realm 2; nobody
/// holds any other permission.
pub struct TestAuthorizer;
impl Authorizer<u64> for TestAuthorizer {
	fn is_authorized(who: &u64, realm: RealmId, permission: Permission) -> bool {
		permission == Permission::SubmitAudit
			&& matches!((*who, realm), (FRONT, REALM | SHARED_REALM) | (OTHER_FRONT, SHARED_REALM))
	}
}

parameter_types! {
	/// The clock, in milliseconds.
	pub static NowMs: u64 = 1_700_000_000_000;
}

/// The step of record times: a minute.
pub const STEP_MS: u64 = 60_000;
/// How far ahead of the block a record may be: two minutes.
pub const SKEW_MS: u64 = 120_000;
/// A whole minute 20 s before the clock starts: the time of [`record`]s.
pub const RECORD_MS: u64 = 1_699_999_980_000;

/// Reads [`NowMs`].
pub struct TestTime;
impl UnixTime for TestTime {
	fn now() -> Duration {
		Duration::from_millis(NowMs::get())
	}
}

impl pallet_ims_audit::Config for Test {
	type Authorizer = TestAuthorizer;
	type Directory = TestDirectory;
	type Time = TestTime;
	type RecordTimeStep = ConstU64<STEP_MS>;
	type MaxClockSkew = ConstU64<SKEW_MS>;
	type MaxBatchSize = ConstU32<MAX_BATCH>;
	type MaxPendingChanges = ConstU32<MAX_PENDING>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// Realm 1 with [`FRONT`] as its front, for the benchmark tests.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64> for BenchHelper {
	fn front() -> (RealmId, u64) {
		(REALM, FRONT)
	}

	fn subscriber(realm: RealmId, index: u32) -> Pseudonym {
		subscriber(realm, u8::try_from(index % 256).unwrap_or(0))
	}
}

/// The chain at block 1, nothing recorded.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test`, then checks the pallet's invariants at the end of its block.
pub fn test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Audit::on_finalize(System::block_number());
		Audit::do_try_state().unwrap();
	});
}

/// Ends the block and starts the next one.
pub fn next_block() {
	let now = System::block_number();
	Audit::on_finalize(now);
	System::set_block_number(now + 1);
	NowMs::set(NowMs::get() + 2_000);
}

/// A front's record about the IMPU of subscriber `n` of [`REALM`].
pub fn record(n: u8) -> FrontRecord<u64> {
	record_in(REALM, n)
}

/// A front's record about the IMPU of subscriber `n` of `realm`.
pub fn record_in(realm: RealmId, n: u8) -> FrontRecord<u64> {
	FrontRecord {
		subject: Subject::Impu(subscriber(realm, n)),
		peer: Peer::Diameter(b"scscf.ims.example.net".to_vec().try_into().unwrap()),
		activity: Activity::Registration,
		result: 2001,
		at_ms: RECORD_MS,
	}
}

/// A batch of front records about subscribers `from..to` of [`REALM`].
pub fn batch(from: u8, to: u8) -> crate::FrontBatchOf<Test> {
	batch_in(REALM, from, to)
}

/// A batch of front records about subscribers `from..to` of `realm`.
pub fn batch_in(realm: RealmId, from: u8, to: u8) -> crate::FrontBatchOf<Test> {
	(from..to).map(|n| record_in(realm, n)).collect::<Vec<_>>().try_into().unwrap()
}
