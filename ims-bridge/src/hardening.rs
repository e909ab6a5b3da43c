//! What the process does so that its secrets stay in it
//! (`docs/vault.md`, "Secrets in the process"): no core dump (a crash would
//! write the vault key and cached K/OPc to disk), no ptrace and no
//! `/proc/PID/mem` or `environ` for other processes of its user, and the
//! environment variables it read secrets from removed once read.

use std::io;

/// Why the process could not be hardened.
#[derive(Debug, thiserror::Error)]
pub enum HardenError {
	/// The core file size limit could not be set to 0.
	#[error("cannot disable core dumps: {0}")]
	CoreLimit(io::Error),
	/// The process could not be made non-dumpable.
	#[error("cannot make the process non-dumpable: {0}")]
	Dumpable(io::Error),
}

/// Disables core dumps (`RLIMIT_CORE` 0) and makes the process
/// non-dumpable (`PR_SET_DUMPABLE` 0): other processes of the same user can
/// then neither attach to it nor read its memory or environment through
/// `/proc`; root still can.
pub fn harden() -> Result<(), HardenError> {
	use rustix::process::{setrlimit, Resource, Rlimit};
	let none = Rlimit { current: Some(0), maximum: Some(0) };
	setrlimit(Resource::Core, none).map_err(|e| HardenError::CoreLimit(e.into()))?;
	rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
		.map_err(|e| HardenError::Dumpable(e.into()))
}

/// Removes the variables `names` from the environment; returns those that
/// were set. Must run before any other thread starts: `std::env` calls
/// from two threads at once may race in the C library. The process's
/// initial copy of its environment stays in `/proc/PID/environ`, which
/// [`harden`] leaves to root.
pub fn forget_environment<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
	names
		.into_iter()
		.filter(|name| {
			let set = std::env::var_os(name).is_some();
			if set {
				std::env::remove_var(name);
			}
			set
		})
		.collect()
}
