//! The chain client's static code is generated from `metadata/ims.scale`;
//! this test fails when that file no longer matches the runtime of this
//! workspace. Refresh it with:
//!
//! ```text
//! UPDATE_METADATA=1 cargo test --release --workspace --test metadata
//! ```
//!
//! (`--workspace`: the one build every test shares; `-p ims-bridge` alone
//! would compile the dependencies again with other features.)

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "integration-test helpers: a step that fails fails the test"
)]

use std::path::PathBuf;

/// The metadata version the static code is generated from.
const VERSION: u32 = 15;

#[test]
fn the_checked_in_metadata_matches_the_runtime() {
	let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("metadata/ims.scale");
	let versions = ims_runtime::Runtime::metadata_versions();
	assert!(versions.contains(&VERSION), "the runtime offers metadata versions {versions:?}");
	let current: Vec<u8> = ims_runtime::Runtime::metadata_at_version(VERSION)
		.map(|m| m.to_vec())
		.expect("the runtime serves this metadata version");
	// `OpaqueMetadata` is the SCALE-encoded `RuntimeMetadataPrefixed`.
	assert_eq!(&current[..4], b"meta");
	if std::env::var_os("UPDATE_METADATA").is_some() {
		std::fs::write(&path, &current).unwrap();
		return;
	}
	let checked_in = std::fs::read(&path).unwrap_or_default();
	assert!(
		checked_in == current,
		"{} is stale ({} bytes, the runtime's is {}): run \
		 `UPDATE_METADATA=1 cargo test --release --workspace --test metadata` and rebuild",
		path.display(),
		checked_in.len(),
		current.len()
	);
}
