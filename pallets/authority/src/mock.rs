//! A test runtime: system, balances, this pallet, session and GRANDPA, with
//! the pallet as session manager and [`StakeWeightedGrandpa`] as GRANDPA's
//! session handler; blocks are "authored" round-robin by the session's
//! validators, except those a test marks as down.

use crate::{self as pallet_ims_authority, Code, Parameters, Region, StakeWeightedGrandpa};
use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64, Hooks},
};
use frame_system::EnsureRoot;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_runtime::{impl_opaque_keys, traits::ConvertInto, BuildStorage, Perbill};
use std::collections::BTreeSet;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		// Before `Session`: its genesis selects the first set.
		Authority: pallet_ims_authority,
		Session: pallet_session,
		Grandpa: pallet_grandpa,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

impl_opaque_keys! {
	pub struct MockKeys {
		pub grandpa: Grandpa,
	}
}

impl pallet_session::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = u64;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = Authority;
	type NextSessionRotation = Authority;
	type SessionManager = Authority;
	type SessionHandler = (StakeWeightedGrandpa<Test>,);
	type Keys = MockKeys;
	type DisablingStrategy = ();
	type WeightInfo = ();
	type Currency = Balances;
	type KeyDeposit = ConstU64<0>;
}

impl pallet_grandpa::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

/// Validators per session, at most.
pub const MAX_VALIDATORS: u32 = 6;
/// Candidates, at most.
pub const MAX_CANDIDATES: u32 = 10;
/// Region codes in a rule, at most.
pub const MAX_REGIONS: u32 = 4;
/// Pending unbondings, at most.
pub const MAX_CHUNKS: u32 = 3;
/// Sessions before unbonded stake may be withdrawn.
pub const UNBONDING: u32 = 3;
/// The least bond of an eligible candidate.
pub const MIN_BOND: u64 = 100;
/// Blocks per session in the genesis parameters.
pub const SESSION: u64 = 10;

impl pallet_ims_authority::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = EnsureRoot<u64>;
	type SessionKeys = pallet_ims_authority::HasSessionKeys<Test>;
	type MaxCandidates = ConstU32<MAX_CANDIDATES>;
	type MaxValidators = ConstU32<MAX_VALIDATORS>;
	type MaxRegions = ConstU32<MAX_REGIONS>;
	type MaxUnlockingChunks = ConstU32<MAX_CHUNKS>;
	type UnbondingSessions = ConstU32<UNBONDING>;
	type MinBond = ConstU64<MIN_BOND>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockKeysHelper;
}

/// Registers keys straight in `pallet-session`'s storage.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockKeysHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64> for MockKeysHelper {
	fn register_keys(who: &u64) {
		pallet_session::NextKeys::<Test>::insert(who, keys(*who));
	}
}

/// Candidates at genesis, each its own operator (`100 + id`): four in the
/// EU, one in the US.
pub const DE: u64 = 1;
pub const FR: u64 = 2;
pub const NL: u64 = 3;
pub const IE: u64 = 4;
pub const US: u64 = 5;
/// Funded accounts that are not candidates at genesis.
pub const APPLICANT: u64 = 6;
pub const STRANGER: u64 = 7;
/// Every funded account's balance.
pub const BALANCE: u64 = 1_000_000;

/// The region of a country code, in `EU` for the member states used here.
pub fn region(country: &[u8; 2]) -> Region {
	let eu = [*b"DE", *b"FR", *b"NL", *b"IE"].contains(country);
	Region::new(country, eu.then_some(b"EU"))
}

/// An account's GRANDPA key pair, from a seed made of its id.
fn grandpa_pair(who: u64) -> sp_core::ed25519::Pair {
	use sp_core::Pair;
	let mut seed = [0u8; 32];
	seed[..8].copy_from_slice(&who.to_le_bytes());
	sp_core::ed25519::Pair::from_seed(&seed)
}

/// An account's GRANDPA key.
pub fn grandpa_key(who: u64) -> GrandpaId {
	use sp_core::Pair;
	grandpa_pair(who).public().into()
}

/// The proof `pallet-session` asks for: the key signs its owner.
pub fn key_proof(who: u64) -> Vec<u8> {
	use codec::Encode;
	use sp_core::proof_of_possession::ProofOfPossessionGenerator;
	grandpa_pair(who).generate_proof_of_possession(&who.encode()).encode()
}

/// The account whose GRANDPA key is `key` (accounts 1 to 200).
pub fn account_of(key: &GrandpaId) -> u64 {
	(1..=200).find(|who| grandpa_key(*who) == *key).unwrap_or(0)
}

/// An account's session keys.
pub fn keys(who: u64) -> MockKeys {
	MockKeys { grandpa: grandpa_key(who) }
}

/// The genesis parameters: 4 validators wanted, 2 at least, one per
/// operator, shares capped at 30 %, offline after 2 idle sessions, sessions
/// of 10 blocks.
pub fn parameters() -> Parameters<u64> {
	Parameters {
		desired_validators: 4,
		min_validators: 2,
		max_per_operator: 1,
		max_operator_share: Perbill::from_percent(30),
		offline_after: 2,
		session_length: SESSION,
	}
}

thread_local! {
	static DOWN: RefCell<BTreeSet<u64>> = const { RefCell::new(BTreeSet::new()) };
}

/// Marks validators as not authoring (or authoring again).
pub fn set_down(who: &[u64]) {
	DOWN.with(|down| *down.borrow_mut() = who.iter().copied().collect());
}

/// The genesis of a test.
pub struct ExtBuilder {
	candidates: Vec<(u64, u64, Region, u64)>,
	allowed: Option<Vec<Code>>,
	parameters: Parameters<u64>,
}

impl Default for ExtBuilder {
	/// DE (4000), FR (3000), NL (2000), IE (1000) and US (1500), each its
	/// own operator; EU only.
	fn default() -> Self {
		Self {
			candidates: vec![
				(DE, 100 + DE, region(b"DE"), 4_000),
				(FR, 100 + FR, region(b"FR"), 3_000),
				(NL, 100 + NL, region(b"NL"), 2_000),
				(IE, 100 + IE, region(b"IE"), 1_000),
				(US, 100 + US, region(b"US"), 1_500),
			],
			allowed: Some(vec![Code::new(b"EU")]),
			parameters: parameters(),
		}
	}
}

impl ExtBuilder {
	/// Replaces the genesis candidates.
	pub fn candidates(mut self, candidates: Vec<(u64, u64, Region, u64)>) -> Self {
		self.candidates = candidates;
		self
	}

	/// Replaces the allowed regions (`None`: anywhere).
	pub fn allowed(mut self, allowed: Option<Vec<Code>>) -> Self {
		self.allowed = allowed;
		self
	}

	/// Replaces the parameters.
	pub fn parameters(mut self, parameters: Parameters<u64>) -> Self {
		self.parameters = parameters;
		self
	}

	/// The externalities, at block 1.
	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: (1..=STRANGER).map(|who| (who, BALANCE)).collect(),
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_ims_authority::GenesisConfig::<Test> {
			candidates: self.candidates.clone(),
			allowed_regions: self.allowed,
			parameters: Some(self.parameters),
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_session::GenesisConfig::<Test> {
			keys: self.candidates.iter().map(|(who, ..)| (*who, *who, keys(*who))).collect(),
			non_authority_keys: vec![],
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			set_down(&[]);
			System::set_block_number(1);
			author_block(1);
			Grandpa::on_finalize(1);
		});
		ext
	}
}

/// The block's author: the session's validators in turn, unless down.
fn author_block(block: u64) {
	let validators = Session::validators();
	if validators.is_empty() {
		return;
	}
	let author = validators[(block % validators.len() as u64) as usize];
	if !DOWN.with(|down| down.borrow().contains(&author)) {
		<Authority as pallet_authorship::EventHandler<u64, u64>>::note_author(author);
	}
}

/// Runs blocks up to and including `n`, as the executive would for these
/// pallets.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::reset_events();
		System::set_block_number(next);
		Session::on_initialize(next);
		author_block(next);
		Grandpa::on_finalize(next);
	}
}

/// Runs to the first block of session `index`.
pub fn run_to_session(index: u32) {
	while Session::current_index() < index {
		run_to_block(System::block_number() + 1);
	}
}

/// This pallet's events since the block started.
pub fn authority_events() -> Vec<pallet_ims_authority::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Authority(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// GRANDPA's current voters and their weights, by account.
pub fn grandpa_weights() -> Vec<(u64, u64)> {
	pallet_grandpa::Authorities::<Test>::get()
		.into_iter()
		.map(|(key, weight)| (account_of(&key), weight))
		.collect()
}
