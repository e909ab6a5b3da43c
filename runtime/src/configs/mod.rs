//! Pallet configurations, one module per domain.
//!
//! - [`system`]: `frame_system`, block limits, the SS58 prefix.
//! - [`monetary`]: balances and transaction fees.
//! - [`consensus`]: timestamp, session, Aura, GRANDPA.
//! - [`governance`]: sudo (development presets only).
//! - [`ims`]: the IMS pallets (subscriber model).

pub mod consensus;
pub mod governance;
pub mod ims;
pub mod monetary;
pub mod system;

pub use consensus::*;
pub use monetary::*;
pub use system::*;
