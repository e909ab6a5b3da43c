//! Pallet configurations, one module per domain.
//!
//! - [`system`]: `frame_system`, block limits, the SS58 prefix.
//! - [`monetary`]: balances and transaction fees.
//! - [`consensus`]: timestamp, authorship, session, Aura, GRANDPA and the
//!   authority pallet that chooses and weighs the validators.
//! - [`governance`]: the operators' council (and sudo, keyed in the
//!   development preset only).
//! - [`ims`]: the IMS pallets (subscriber model).

pub mod consensus;
pub mod governance;
pub mod ims;
pub mod monetary;
pub mod system;

pub use consensus::*;
pub use governance::*;
pub use monetary::*;
pub use system::*;
