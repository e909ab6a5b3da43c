//! Every API request in the audit trail (`docs/provisioning-api.md`, "The
//! audit trail"): as a request is served, the caller's account and what it
//! is about (a subscriber's identity, or a realm) are noted; once it is
//! answered, one record with its method, route template and HTTP status is
//! journaled before the answer leaves, as Cx answers are.
//!
//! A request about a subscriber is recorded in the subscriber's realm,
//! under the pseudonym of the identity it names (an unlinkable one when
//! the vault holds none). A request that names no subscriber is recorded
//! about its realm, or the home realm's (`diameter.origin_realm`) when it
//! names none. Requests refused at the door (no valid token, rate spent)
//! are recorded within a budget of their own, so that a flood of them
//! cannot fill the chain; the rest are counted in
//! `ims_bridge_unrecorded_total`.

use super::state::Api;
use crate::bucket::Bucket;
use crate::index::Index;
use crate::journal::{Entry, Journal, Record};
use crate::pseudonym::Kind;
use crate::vault::{Subscriber, Vault};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ims_primitives::audit::{Activity, HttpMethod, Peer};
use ims_primitives::{ImpuId, RealmId, Subject, Token};
use prometheus::IntCounter;
use std::sync::{Arc, Mutex};
use subxt::utils::{AccountId32, H256};

/// Door refusals (401, 429) recorded a second, and the burst above.
const DOOR_RATE: (u32, u32) = (20, 200);

/// What the API's records need: the journal they go to, the index that
/// knows realms and identities, the home realm's name.
pub struct Audit {
	journal: Journal,
	pub(super) index: Arc<Index>,
	home: String,
	unrecorded: IntCounter,
	door: Mutex<Bucket>,
}

/// What a request is about and who made it, noted as it is served.
#[derive(Default)]
pub struct Note(Mutex<Noted>);

#[derive(Default)]
struct Noted {
	client: Option<AccountId32>,
	about: Option<(RealmId, Subject<[u8; 32]>)>,
}

impl Note {
	/// The account of the request's token (valid or not).
	pub fn client(&self, account: AccountId32) {
		self.noted().client = Some(account);
	}

	/// What the request is about.
	pub fn about(&self, (realm, subject): (RealmId, Subject<[u8; 32]>)) {
		self.noted().about = Some((realm, subject));
	}

	fn noted(&self) -> std::sync::MutexGuard<'_, Noted> {
		self.0.lock().unwrap_or_else(|p| p.into_inner())
	}
}

impl Audit {
	/// Records go to `journal`; `home` names the realm of requests that
	/// name none; `unrecorded` counts those that cannot be recorded.
	pub fn new(journal: Journal, index: Arc<Index>, home: String, unrecorded: IntCounter) -> Self {
		let door = Mutex::new(Bucket::new(DOOR_RATE.0, DOOR_RATE.1));
		Audit { journal, index, home, unrecorded, door }
	}

	/// The number of the realm named `name`, as the index knows it.
	pub fn realm(&self, name: &str) -> Option<RealmId> {
		self.index.realm(name)
	}

	/// A realm named by a request: itself, else the home realm.
	pub fn realm_or_home(&self, name: &str) -> Option<RealmId> {
		self.realm(name).or_else(|| self.realm(&self.home))
	}

	/// The realm and subject of a request naming `identity`, which the
	/// vault holds as `held`'s (or nobody's): its pseudonym, else an
	/// unlinkable one; in the realm of the subscriber's public identities,
	/// else of the identity's domain (or the home realm). The index may
	/// not have followed a subscriber created a moment ago: its pseudonym
	/// is kept all the same, and should the realm be another, the
	/// submitter records it as unknown (`docs/submitter.md`).
	pub fn identity(
		&self,
		vault: &Vault,
		identity: &str,
		held: Option<&Subscriber>,
	) -> Option<(RealmId, Subject<[u8; 32]>)> {
		let kind = if identity.contains(':') { Kind::Impu } else { Kind::Impi };
		let subject = match held {
			Some(subscriber) => {
				let pseudonym = ImpuId::from(subscriber.pseudonym(kind, identity));
				match kind {
					Kind::Impu => Subject::Impu(pseudonym),
					_ => Subject::Impi(pseudonym),
				}
			},
			None => Subject::Unknown(ImpuId::from(vault.unknown_pseudonym(kind, identity))),
		};
		let realm = held.and_then(|subscriber| self.realm_of(subscriber));
		Some((realm.or_else(|| self.realm_or_home(domain(identity)))?, subject))
	}

	/// The realm and subject of a create: the new subscriber's first
	/// private identity, by the pseudonym its fresh salt gives, in the
	/// realm named (or the home realm). Should the create fail, the salt
	/// is destroyed with the vault entry and the pseudonym names nobody.
	pub fn new_subscriber(
		&self,
		realm: &str,
		subscriber: &Subscriber,
	) -> Option<(RealmId, Subject<[u8; 32]>)> {
		let impi = subscriber.impis.first()?;
		let pseudonym = ImpuId::from(subscriber.pseudonym(Kind::Impi, &impi.identity));
		Some((self.realm_or_home(realm)?, Subject::Impi(pseudonym)))
	}

	/// The realm of a subscriber's public identities, as the index holds
	/// them.
	pub(super) fn realm_of(&self, subscriber: &Subscriber) -> Option<RealmId> {
		subscriber.impus.iter().find_map(|impu| {
			let id = ImpuId::from(subscriber.pseudonym(Kind::Impu, impu));
			self.index.impu(&id).map(|view| view.impu.realm)
		})
	}

	/// Journals the record of a request answered `status`. `Ok(false)`
	/// when it was not recorded: no realm to record it in, or a door
	/// refusal over the budget.
	async fn record(
		&self,
		note: &Note,
		(method, route): (HttpMethod, &str),
		status: StatusCode,
	) -> Result<bool, crate::journal::JournalError> {
		let Noted { client, about } = std::mem::take(&mut *note.noted());
		let at_door = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS);
		let about = about.or_else(|| self.realm(&self.home).map(|realm| (realm, Subject::Realm)));
		let within = !at_door || self.door.lock().unwrap_or_else(|p| p.into_inner()).take();
		let Some((realm, subject)) = about.filter(|_| within) else {
			self.unrecorded.inc();
			return Ok(false);
		};
		let record = Record {
			subject,
			peer: Peer::Client(client.map(|account| H256(account.0)).unwrap_or_default()),
			activity: Activity::Api { method, route: Token::truncate_from(route.into()) },
			result: u32::from(status.as_u16()),
			at_ms: crate::cx::record_time_ms(),
		};
		self.journal.append(vec![Entry::Audit(realm, record)]).await.map(|_| true)
	}
}

/// The domain of an identity (`sip:alice@ims.example` and
/// `alice@ims.example` are `ims.example`'s); empty when it has none.
fn domain(identity: &str) -> &str {
	let after = identity.rsplit_once('@').map_or("", |(_, domain)| domain);
	after.split([';', '>', ':']).next().unwrap_or_default()
}

fn method_of(method: &Method) -> HttpMethod {
	match *method {
		Method::GET | Method::HEAD => HttpMethod::Get,
		Method::POST => HttpMethod::Post,
		Method::PUT => HttpMethod::Put,
		Method::PATCH => HttpMethod::Patch,
		Method::DELETE => HttpMethod::Delete,
		_ => HttpMethod::Other,
	}
}

/// The middleware that records each request once it is answered, except
/// the API's own description (`/openapi.json`, `/docs`). A read whose
/// record cannot be journaled is answered 503 instead: subscriber data does
/// not leave unrecorded. A write keeps its answer, since the chain
/// recorded the change itself.
pub async fn record(State(api): State<Arc<Api>>, mut request: Request, next: Next) -> Response {
	let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
	let route = route.unwrap_or_default();
	if matches!(route.as_str(), "/openapi.json" | "/docs") {
		return next.run(request).await;
	}
	let method = method_of(request.method());
	let note = Arc::new(Note::default());
	request.extensions_mut().insert(note.clone());
	let response = next.run(request).await;
	match api.audit.record(&note, (method, &route), response.status()).await {
		Ok(_) => response,
		Err(e) => {
			tracing::error!(error = %e, route, "API request not journaled");
			if method == HttpMethod::Get {
				super::ApiError::new(
					StatusCode::SERVICE_UNAVAILABLE,
					"unavailable",
					"the bridge cannot record the request now; retry later",
				)
				.retry_after(1)
				.into_response()
			} else {
				response
			}
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_domain_is_what_follows_the_last_at_sign() {
		assert_eq!(domain("sip:alice@ims.example"), "ims.example");
		assert_eq!(domain("alice@ims.example"), "ims.example");
		assert_eq!(domain("sip:alice@ims.example;user=phone"), "ims.example");
		assert_eq!(domain("sip:alice@ims.example:5060"), "ims.example");
		assert_eq!(domain("tel:+4930123"), "");
	}

	#[test]
	fn methods_are_named() {
		assert_eq!(method_of(&Method::HEAD), HttpMethod::Get);
		assert_eq!(method_of(&Method::DELETE), HttpMethod::Delete);
		assert_eq!(method_of(&Method::OPTIONS), HttpMethod::Other);
	}
}
