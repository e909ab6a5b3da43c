//! Genesis presets, built with the genesis builder.
//!
//! - `development`: one validator (Alice, `DE`/`EU`), funded development
//!   accounts, Alice alone on the operators' council and as the sudo key,
//!   and the IMS realm `ims.example.net` owned by Alice, who is also its HSS
//!   front, with a service profile 0 (`default`, no filter criteria). Sessions of ten minutes.
//! - `local_testnet`: three validators (Alice `DE`, Bob `FR`, Charlie `NL`,
//!   each its own operator and council member), every development account
//!   funded, the same realm, no sudo key.
//! - `region_restricted`: validators only in the `EU`: Alice (`DE`), Bob
//!   (`FR`), Charlie (`NL`) and Dave (`IE`) with bonds of 40, 30, 20 and 10
//!   thousand units, and Eve (`US`) admitted and bonded (15 thousand) but
//!   outside the allowed regions; the four EU operators form the council;
//!   no sudo key; sessions of 10 blocks, so that a test network sees set
//!   changes within a minute.
//!
//! All three use publicly known keys. Only `development` sets a sudo key.

use alloc::{string::String, vec, vec::Vec};
use frame_support::{build_struct_json_patch, BoundedVec};
use pallet_ims_authority::{Code, Parameters, Region};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::PresetId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Perbill;

use ims_primitives::{ProfileId, RealmId, Role};

use crate::{
	currency::UNIT, time::SESSION_PERIOD, AccessConfig, AccountId, AuthorityConfig, Balance,
	BalancesConfig, BlockNumber, CouncilMembershipConfig, IdentityConfig, RuntimeGenesisConfig,
	SessionConfig, SessionKeys, SudoConfig,
};

/// The `development` preset id.
pub const DEVELOPMENT: &str = sp_genesis_builder::DEV_RUNTIME_PRESET;
/// The `local_testnet` preset id.
pub const LOCAL_TESTNET: &str = sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;
/// The `region_restricted` preset id.
pub const REGION_RESTRICTED: &str = "region_restricted";

/// The IMS realm (home network domain) of the development presets.
pub const DEV_REALM: &str = "ims.example.net";

/// The name of the development realm's service profile 0.
pub const DEV_PROFILE: &str = "default";

/// Balance given to every endowed development account.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;

/// A validator's bond in the development presets.
pub const DEV_BOND: Balance = 10_000 * UNIT;

/// Blocks per session of the `region_restricted` preset.
pub const SHORT_SESSION: BlockNumber = 10;

/// A validator candidate at genesis: its account, session keys, operator,
/// region and bond. Every one is admitted; the authority pallet selects the
/// first set among them.
pub struct GenesisValidator {
	/// The validator's account (also its validator id).
	pub account: AccountId,
	/// Aura authoring key.
	pub aura: AuraId,
	/// GRANDPA voting key.
	pub grandpa: GrandpaId,
	/// The operator running it.
	pub operator: AccountId,
	/// Where it runs.
	pub region: Region,
	/// Its bond.
	pub bond: Balance,
}

impl GenesisValidator {
	/// The well-known development validator of a keyring member: its own
	/// operator, in Germany (`DE`, `EU`), bonded [`DEV_BOND`].
	pub fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self {
			account: sr.to_account_id(),
			aura: sr.public().into(),
			grandpa: ed.public().into(),
			operator: sr.to_account_id(),
			region: eu(b"DE"),
			bond: DEV_BOND,
		}
	}

	/// The same validator in another region.
	pub fn in_region(self, region: Region) -> Self {
		Self { region, ..self }
	}

	/// The same validator with another bond.
	pub fn bonded(self, bond: Balance) -> Self {
		Self { bond, ..self }
	}
}

/// What a genesis holds.
pub struct GenesisSpec {
	/// The validator candidates.
	pub validators: Vec<GenesisValidator>,
	/// `None` for no restriction, else the allowed country and group codes.
	pub allowed_regions: Option<Vec<Code>>,
	/// Selection and liveness rules.
	pub parameters: Parameters<BlockNumber>,
	/// Accounts given [`ENDOWMENT`].
	pub endowed: Vec<AccountId>,
	/// The operators' council.
	pub council: Vec<AccountId>,
	/// The sudo key (development only).
	pub sudo: Option<AccountId>,
	/// IMS realms, `(domain, owner)`, numbered from 0.
	pub realms: Vec<(String, AccountId)>,
	/// Service profiles without filter criteria, `(realm, profile, name)`.
	pub service_profiles: Vec<(RealmId, ProfileId, String)>,
	/// Roles in those realms.
	pub roles: Vec<(RealmId, AccountId, Role)>,
}

/// Rules for `validators` validators of separate operators, at least
/// `minimum`, shares capped at 30 %, offline after 3 idle sessions.
pub fn parameters(
	validators: u32,
	minimum: u32,
	session_length: BlockNumber,
) -> Parameters<BlockNumber> {
	Parameters {
		desired_validators: validators,
		min_validators: minimum,
		max_per_operator: 1,
		max_operator_share: Perbill::from_percent(30),
		offline_after: 3,
		session_length,
	}
}

/// The genesis state of `spec`.
///
/// Aura's and GRANDPA's own genesis sets stay empty: the authority pallet
/// selects the first set, and `pallet-session` hands Aura its keys and the
/// authority pallet's handler hands GRANDPA its keys with stake weights.
pub fn genesis(spec: GenesisSpec) -> Value {
	let GenesisSpec {
		validators,
		allowed_regions,
		parameters,
		endowed,
		council,
		sudo,
		realms,
		service_profiles,
		roles,
	} = spec;
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|account| (account, ENDOWMENT)).collect::<Vec<_>>(),
		},
		authority: AuthorityConfig {
			candidates: validators
				.iter()
				.map(|v| (v.account.clone(), v.operator.clone(), v.region, v.bond))
				.collect::<Vec<_>>(),
			allowed_regions,
			parameters: Some(parameters),
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|v| {
					(v.account.clone(), v.account, SessionKeys { aura: v.aura, grandpa: v.grandpa })
				})
				.collect::<Vec<_>>(),
		},
		council_membership: CouncilMembershipConfig { members: BoundedVec::truncate_from(council) },
		sudo: SudoConfig { key: sudo },
		identity: IdentityConfig { realms, service_profiles },
		access: AccessConfig { roles },
	})
}

/// The `development` preset: Alice validates alone.
pub fn development() -> Value {
	let alice = Sr25519Keyring::Alice.to_account_id();
	genesis(GenesisSpec {
		validators: vec![GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		allowed_regions: None,
		parameters: parameters(1, 1, SESSION_PERIOD),
		endowed: vec![
			alice.clone(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::AliceStash.to_account_id(),
			Sr25519Keyring::BobStash.to_account_id(),
		],
		council: vec![alice.clone()],
		sudo: Some(alice),
		realms: dev_realms(),
		service_profiles: dev_service_profiles(),
		roles: dev_roles(),
	})
}

/// The `local_testnet` preset: Alice, Bob and Charlie validate.
pub fn local_testnet() -> Value {
	genesis(GenesisSpec {
		validators: vec![
			GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			GenesisValidator::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob).in_region(eu(b"FR")),
			GenesisValidator::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie)
				.in_region(eu(b"NL")),
		],
		allowed_regions: None,
		parameters: parameters(3, 2, SESSION_PERIOD),
		endowed: all_dev_accounts(),
		council: accounts(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]),
		sudo: None,
		realms: dev_realms(),
		service_profiles: dev_service_profiles(),
		roles: dev_roles(),
	})
}

/// The `region_restricted` preset: four EU validators, a US candidate left
/// out by the region rule.
pub fn region_restricted() -> Value {
	genesis(GenesisSpec {
		validators: vec![
			GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)
				.bonded(40_000 * UNIT),
			GenesisValidator::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob)
				.in_region(eu(b"FR"))
				.bonded(30_000 * UNIT),
			GenesisValidator::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie)
				.in_region(eu(b"NL"))
				.bonded(20_000 * UNIT),
			GenesisValidator::dev(Sr25519Keyring::Dave, Ed25519Keyring::Dave)
				.in_region(eu(b"IE"))
				.bonded(10_000 * UNIT),
			GenesisValidator::dev(Sr25519Keyring::Eve, Ed25519Keyring::Eve)
				.in_region(Region::new(b"US", None))
				.bonded(15_000 * UNIT),
		],
		allowed_regions: Some(vec![Code::new(b"EU")]),
		parameters: parameters(4, 3, SHORT_SESSION),
		endowed: all_dev_accounts(),
		council: accounts(&[
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]),
		sudo: None,
		realms: dev_realms(),
		service_profiles: dev_service_profiles(),
		roles: dev_roles(),
	})
}

/// A country of the European Union, in the group `EU`.
fn eu(country: &[u8; 2]) -> Region {
	Region::new(country, Some(b"EU"))
}

/// The accounts of development keys.
fn accounts(keys: &[Sr25519Keyring]) -> Vec<AccountId> {
	keys.iter().map(|k| k.to_account_id()).collect()
}

/// Every development account but `One` and `Two`.
fn all_dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter()
		.filter(|k| *k != Sr25519Keyring::One && *k != Sr25519Keyring::Two)
		.map(|k| k.to_account_id())
		.collect()
}

/// `ims.example.net`, owned by Alice.
fn dev_realms() -> Vec<(String, AccountId)> {
	vec![(DEV_REALM.into(), Sr25519Keyring::Alice.to_account_id())]
}

/// The development realm's profile 0, which `ims-bridge subscriber add`
/// gives new subscribers by default: a new chain takes subscribers at once.
fn dev_service_profiles() -> Vec<(RealmId, ProfileId, String)> {
	vec![(0, 0, DEV_PROFILE.into())]
}

/// In the development realm, Alice (its owner) is also the HSS front, so
/// that a development bridge needs one key only.
fn dev_roles() -> Vec<(RealmId, AccountId, Role)> {
	vec![(0, Sr25519Keyring::Alice.to_account_id(), Role::HssFront)]
}

/// The JSON patch of a preset, or `None` for an unknown id.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEVELOPMENT => development(),
		LOCAL_TESTNET => local_testnet(),
		REGION_RESTRICTED => region_restricted(),
		_ => return None,
	};
	// Serialising a `serde_json::Value` cannot fail: its map keys are strings.
	serde_json::to_vec(&patch).ok()
}

/// The ids of every preset.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(DEVELOPMENT),
		PresetId::from(LOCAL_TESTNET),
		PresetId::from(REGION_RESTRICTED),
	]
}
