//! Chain specifications built from the runtime's genesis presets.

use ims_runtime::{
	currency::{TOKEN_DECIMALS, TOKEN_SYMBOL},
	genesis_config_presets::{DEVELOPMENT, LOCAL_TESTNET, REGION_RESTRICTED},
	SS58_PREFIX, WASM_BINARY,
};
use sc_service::{ChainType, Properties};

/// The chain specification type of this node (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol, decimals and SS58 prefix, as wallets and polkadot.js read them.
pub fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime Wasm is not available: this node was built with SKIP_WASM_BUILD. \
		 Rebuild it without that variable."
			.to_string()
	})
}

/// A chain spec whose genesis is the runtime's genesis preset `preset`.
fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name(name)
		.with_id(id)
		.with_protocol_id("ims")
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// The `dev` chain: one validator (Alice), from the `development` preset.
pub fn development() -> Result<ChainSpec, String> {
	from_preset("IMS ledger development", "ims_dev", ChainType::Development, DEVELOPMENT)
}

/// The `local` chain: three validators (Alice, Bob, Charlie), from the
/// `local_testnet` preset.
pub fn local_testnet() -> Result<ChainSpec, String> {
	from_preset("IMS ledger local testnet", "ims_local_testnet", ChainType::Local, LOCAL_TESTNET)
}

/// The `region-restricted` chain: four EU validators (Alice, Bob, Charlie,
/// Dave) and a US candidate (Eve) left out by the region rule, from the
/// `region_restricted` preset.
pub fn region_restricted() -> Result<ChainSpec, String> {
	from_preset(
		"IMS ledger region-restricted testnet",
		"ims_region_restricted",
		ChainType::Local,
		REGION_RESTRICTED,
	)
}

/// A chain specification read from a JSON file, with a message naming the
/// file when it cannot be opened or parsed.
pub fn from_file(path: &str) -> Result<ChainSpec, String> {
	let path = std::path::PathBuf::from(path);
	if !path.is_file() {
		return Err(format!(
			"Chain specification `{}` not found: pass `dev`, `local`, `region-restricted` or the path of a chain spec \
			 JSON file (see `ims-node build-spec --help`).",
			path.display()
		));
	}
	ChainSpec::from_json_file(path.clone())
		.map_err(|e| format!("Invalid chain specification `{}`: {e}", path.display()))
}
