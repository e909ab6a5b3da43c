//! Storage migrations of the identity pallet, one module per storage
//! version; the runtime lists them in `ims_runtime::Migrations`.

pub mod v2;
