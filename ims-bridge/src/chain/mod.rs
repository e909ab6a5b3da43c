//! The chain side: a reconnecting subxt client with static code generated
//! from `metadata/ims.scale` (checked against the runtime by
//! `tests/metadata.rs`), the follower that keeps the [`Index`] at the
//! finalized head, and the submitter that drains the [`Journal`].
//!
//! Only finalized state is read, and only finalized, successful extrinsics
//! clear the journal.

mod follower;
mod submitter;

pub use follower::{follow, load, Follower};
pub use submitter::submit;

use std::time::Duration;
use subxt_rpcs::client::reconnecting_rpc_client::{ExponentialBackoff, RpcClient as Reconnecting};
use subxt_rpcs::client::RpcClient;

/// The runtime's interface, generated from the checked-in metadata. The
/// shared types of `ims-primitives` (and the registration report, which
/// has the pallet's layout) are used as they are rather than generated
/// again.
#[subxt::subxt(
	runtime_metadata_path = "metadata/ims.scale",
	substitute_type(
		path = "ims_primitives::ServerAssignmentView",
		with = "::subxt::utils::Static<::ims_primitives::ServerAssignmentView>"
	),
	substitute_type(
		path = "ims_primitives::LookupError",
		with = "::subxt::utils::Static<::ims_primitives::LookupError>"
	),
	substitute_type(
		path = "ims_primitives::AuthScheme",
		with = "::subxt::utils::Static<::ims_primitives::AuthScheme>"
	),
	substitute_type(
		path = "ims_primitives::AuthSchemes",
		with = "::subxt::utils::Static<::ims_primitives::AuthSchemes>"
	),
	substitute_type(
		path = "ims_primitives::audit::FrontRecord<A>",
		with = "::subxt::utils::Static<::ims_primitives::audit::FrontRecord<A>>"
	),
	substitute_type(
		path = "pallet_ims_identity::types::RegistrationUpdate",
		with = "::subxt::utils::Static<crate::journal::RegistrationReport>"
	)
)]
pub mod ims {}

/// The chain's configuration: 32-byte accounts, `MultiAddress<_, ()>`,
/// `MultiSignature`, BLAKE2-256, `u32` block numbers.
pub type Config = subxt::PolkadotConfig;
/// A client of the chain.
pub type Client = subxt::OnlineClient<Config>;

/// Why the chain could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// The RPC endpoint could not be reached.
	#[error("cannot reach the node at {0}: {1}")]
	Connect(String, String),
	/// A call failed.
	#[error("{0}")]
	Call(String),
}

impl ChainError {
	fn call(e: impl std::fmt::Display) -> Self {
		ChainError::Call(e.to_string())
	}
}

/// Connects to a node's WebSocket RPC with a client that reconnects by
/// itself (exponential backoff from 100 ms up to 10 s).
pub async fn connect(url: &str) -> Result<Client, ChainError> {
	let error = |e: &dyn std::fmt::Display| ChainError::Connect(url.to_string(), e.to_string());
	let rpc = Reconnecting::builder()
		.retry_policy(
			ExponentialBackoff::from_millis(100).max_delay(Duration::from_secs(10)).factor(2),
		)
		.request_timeout(Duration::from_secs(30))
		.build(url)
		.await
		.map_err(|e| error(&e))?;
	Client::from_rpc_client(RpcClient::new(rpc)).await.map_err(|e| error(&e))
}

/// This process's transactions, one at a time (see [`submit_finalized`]).
static SUBMISSIONS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Signs `call` with `signer`, submits it at the finalized head and waits
/// until it is finalized and successful.
pub async fn submit_finalized<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &subxt_signer::sr25519::Keypair,
	call: &Call,
) -> Result<(), ChainError> {
	// One transaction of this process at a time: the nonce comes from the
	// finalized state, so two in flight (the submitter's and an admin
	// command's) would take the same one.
	let _turn = SUBMISSIONS.lock().await;
	let at = client.at_current_block().await.map_err(ChainError::call)?;
	at.transactions()
		.sign_and_submit_then_watch_default(call, signer)
		.await
		.map_err(ChainError::call)?
		.wait_for_finalized_success()
		.await
		.map_err(ChainError::call)?;
	Ok(())
}
