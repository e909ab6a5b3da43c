//! What every API handler works with: the chain, the bridge's signer, the
//! vault, the running Cx service (for RTR targets of removed subscribers),
//! the tokens and their rate limits, the audit trail.

use super::audit::Audit;
use super::creates::Creates;
use super::idempotency::Idempotency;
use super::tokens::TokenStore;
use crate::bucket::Bucket;
use crate::chain::Client;
use crate::config::ApiConfig;
use crate::cx::Cx;
use crate::diameter::peer::Context;
use crate::index::Index;
use crate::provision::Author;
use crate::vault::Vault;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

/// The API's shared state.
pub struct Api {
	/// The node.
	pub client: Client,
	/// The bridge's account, the users' agent.
	pub signer: Keypair,
	/// The vault.
	pub vault: Arc<Vault>,
	/// The chain's finalized state as the bridge follows it.
	pub index: Arc<Index>,
	/// The running Cx service, when there is one.
	pub cx: Option<Arc<Context<Cx>>>,
	/// The issued tokens.
	pub tokens: TokenStore,
	/// Creates waiting to share a call.
	pub creates: Creates,
	/// Where each request's audit record goes.
	pub audit: Audit,
	/// The answers kept for retries of writes.
	pub idempotency: Idempotency,
	/// Each token's bucket, by token id.
	buckets: Mutex<HashMap<String, Bucket>>,
	/// Requests a second per token, and the burst above.
	rate: (u32, u32),
}

impl Api {
	/// The state for `config`'s limits; starts the creates' batcher (in
	/// the runtime this is called from).
	pub fn new(
		(client, signer): (Client, Keypair),
		vault: Arc<Vault>,
		cx: Option<Arc<Context<Cx>>>,
		(tokens, audit): (TokenStore, Audit),
		config: &ApiConfig,
	) -> Api {
		let creates = Creates::start(client.clone(), signer.clone());
		Api {
			creates,
			index: audit.index.clone(),
			audit,
			idempotency: Idempotency::default(),
			client,
			signer,
			vault,
			cx,
			tokens,
			buckets: Mutex::new(HashMap::new()),
			rate: (config.requests_per_second, config.burst),
		}
	}

	/// Who makes a change asked for with a token of `account`: the bridge's
	/// own account signs for itself (an account cannot be its own agent),
	/// any other is acted for.
	pub fn author(&self, account: &AccountId32) -> Author {
		let bridge: AccountId32 = self.signer.public_key().into();
		if *account == bridge {
			Author::Bridge
		} else {
			Author::User(*account)
		}
	}

	/// Takes one request from token `id`'s allowance; `false` when it is
	/// spent.
	pub fn allow(&self, id: &str) -> bool {
		let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
		let (rate, burst) = self.rate;
		buckets.entry(id.to_string()).or_insert_with(|| Bucket::new(rate, burst)).take()
	}
}
