//! Builds the Wasm runtime blob that the node embeds as `WASM_BINARY`.
//!
//! `SKIP_WASM_BUILD=1` (used for `cargo check` and `cargo clippy`) skips the
//! nested Wasm build; `WASM_BINARY` is then `None`.

fn main() {
	#[cfg(feature = "std")]
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}
