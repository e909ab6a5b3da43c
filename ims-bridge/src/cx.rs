//! The Cx application: UAR, MAR, SAR and LIR answered like an HSS (3GPP TS
//! 29.228 section 6, TS 29.229), from the index of finalized chain state and
//! the vault, never from the network.
//!
//! Every request leaves an audit record in the journal before its answer is
//! sent (records about identities the vault does not know use an
//! unlinkable pseudonym); SARs that change registration state also leave a
//! registration report for the chain, and the new state stands in the
//! index at once.

use crate::auth::{self, aka_vector};
use crate::diameter::codec::{Avp, AvpError, Message};
use crate::diameter::dict::{avp, command, experimental, result, VENDOR_3GPP};
use crate::diameter::peer::{answer_for, error_answer, Application, LocalIdentity, PeerInfo};
use crate::index::Index;
use crate::journal::{Entry, Journal, RegistrationReport};
use crate::metrics::Metrics;
use crate::pseudonym::Kind;
use crate::user_data;
use crate::vault::{Directory, Subscriber, Vault};
use ims_primitives::audit::{Activity, FrontRecord, Peer};
use ims_primitives::{
	AuthScheme, ImpuId, Name, ProfilePart, RealmId, RegistrationState, RegistrationView,
	ServerAssignmentView, Subject, Token,
};
use rand::RngCore;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Server-Assignment-Type values (TS 29.229 section 6.3.15).
pub mod assignment {
	/// NO_ASSIGNMENT.
	pub const NO_ASSIGNMENT: u32 = 0;
	/// REGISTRATION.
	pub const REGISTRATION: u32 = 1;
	/// RE_REGISTRATION.
	pub const RE_REGISTRATION: u32 = 2;
	/// UNREGISTERED_USER.
	pub const UNREGISTERED_USER: u32 = 3;
	/// TIMEOUT_DEREGISTRATION.
	pub const TIMEOUT_DEREGISTRATION: u32 = 4;
	/// USER_DEREGISTRATION.
	pub const USER_DEREGISTRATION: u32 = 5;
	/// TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME.
	pub const TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME: u32 = 6;
	/// USER_DEREGISTRATION_STORE_SERVER_NAME.
	pub const USER_DEREGISTRATION_STORE_SERVER_NAME: u32 = 7;
	/// ADMINISTRATIVE_DEREGISTRATION.
	pub const ADMINISTRATIVE_DEREGISTRATION: u32 = 8;
	/// AUTHENTICATION_FAILURE.
	pub const AUTHENTICATION_FAILURE: u32 = 9;
	/// AUTHENTICATION_TIMEOUT.
	pub const AUTHENTICATION_TIMEOUT: u32 = 10;
	/// DEREGISTRATION_TOO_MUCH_DATA.
	pub const DEREGISTRATION_TOO_MUCH_DATA: u32 = 11;
}

/// User-Authorization-Type values (TS 29.229 section 6.3.24).
pub mod authorization_type {
	/// REGISTRATION (the default).
	pub const REGISTRATION: u32 = 0;
	/// DE_REGISTRATION.
	pub const DE_REGISTRATION: u32 = 1;
	/// REGISTRATION_AND_CAPABILITIES.
	pub const REGISTRATION_AND_CAPABILITIES: u32 = 2;
}

/// How the bridge answers, beyond what the chain says.
#[derive(Clone, Debug)]
pub struct CxConfig {
	/// The S-CSCF a UAA names for a first registration, and a LIA for an
	/// unregistered identity with services; without one the I-CSCF gets
	/// Server-Capabilities and selects an S-CSCF itself.
	pub scscf_name: Option<String>,
	/// Answer Digest-MD5 with the plaintext password (for S-CSCFs that need
	/// it); otherwise Digest-MD5 requests get SIP Digest (HA1) or 5006.
	pub digest_md5: bool,
	/// Most authentication vectors given in one MAA.
	pub max_auth_items: u32,
	/// S-CSCFs by SIP name (Server-Name) and Diameter Origin-Host, known
	/// before they send a SAR (`server_name` of `[[diameter.peers]]`).
	pub scscf_peers: Vec<(String, String)>,
}

impl Default for CxConfig {
	fn default() -> Self {
		CxConfig { scscf_name: None, digest_md5: false, max_auth_items: 5, scscf_peers: Vec::new() }
	}
}

/// The Cx application.
pub struct Cx {
	local: LocalIdentity,
	config: CxConfig,
	index: Arc<Index>,
	vault: Arc<Vault>,
	journal: Journal,
	metrics: Arc<Metrics>,
	/// Who serves each identity this bridge saw registered, by its SAR: what
	/// an RTR needs when the chain bars or removes it.
	served: std::sync::Mutex<std::collections::HashMap<ImpuId, Arc<Served>>>,
	/// S-CSCF SIP names (Server-Name) and the Diameter peers that use them,
	/// from the configuration and from SARs: where an RTR goes for an
	/// identity the chain holds registered but no SAR of this process named
	/// (registered before a restart).
	scscf_peers: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// An implicit set registered at an S-CSCF, as its SAR named it.
#[derive(Debug, PartialEq, Eq)]
pub struct Served {
	/// The registered public identity, in clear.
	pub impu: String,
	/// The private identity, in clear.
	pub impi: String,
	/// The S-CSCF's Diameter Origin-Host.
	pub peer: String,
	/// Its realm.
	pub realm: RealmId,
	/// Every member of the implicit set.
	pub members: Vec<ImpuId>,
	/// The S-CSCF's SIP name (Server-Name).
	pub scscf: String,
}

/// What became of one RTR.
#[derive(Debug, PartialEq, Eq)]
pub struct Termination {
	/// The implicit set it terminated.
	pub members: Vec<ImpuId>,
	/// The RTA's Result-Code; 0 when no answer came (not connected, timeout).
	pub code: u32,
}

/// How a request ended: the code recorded in the audit trail.
enum Code {
	/// A base Result-Code.
	Base(u32),
	/// An Experimental-Result-Code (vendor 10415).
	Experimental(u32),
}

impl Code {
	fn value(&self) -> u32 {
		match self {
			Code::Base(c) | Code::Experimental(c) => *c,
		}
	}

	fn avp(&self) -> Avp {
		match self {
			Code::Base(code) => Avp::u32_of(&avp::RESULT_CODE, *code),
			Code::Experimental(code) => experimental_result(*code),
		}
	}
}

/// An Experimental-Result of 3GPP (vendor 10415) with `code`.
pub fn experimental_result(code: u32) -> Avp {
	Avp::grouped_of(
		&avp::EXPERIMENTAL_RESULT,
		vec![
			Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
			Avp::u32_of(&avp::EXPERIMENTAL_RESULT_CODE, code),
		],
	)
}

/// What a handler decided: the answer's result, its AVPs, and what to
/// record.
struct Outcome {
	code: Code,
	avps: Vec<Avp>,
	/// The audit record's realm, subject and activity.
	audit: Option<(RealmId, Subject<[u8; 32]>, Activity)>,
	/// A registration state change.
	registration: Option<(RegistrationReport, Vec<ImpuId>)>,
	/// Who now serves the identity (`None`: nobody).
	serving: Option<(Vec<ImpuId>, Option<Served>)>,
}

impl Outcome {
	fn fail(code: Code, audit: Option<(RealmId, Subject<[u8; 32]>, Activity)>) -> Self {
		Outcome { code, avps: Vec::new(), audit, registration: None, serving: None }
	}
}

/// A request that cannot be answered with a Cx result: a malformed or
/// missing AVP, or an internal failure.
enum Refusal {
	Avp(AvpError),
	Internal(String),
}

impl From<AvpError> for Refusal {
	fn from(e: AvpError) -> Self {
		Refusal::Avp(e)
	}
}

fn name(text: &str) -> Name {
	Name::truncate_from(text.as_bytes().to_vec())
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The scheme a SIP-Authentication-Scheme names.
fn scheme_named(text: &str) -> Option<AuthScheme> {
	AuthScheme::ALL.into_iter().find(|s| s.diameter_name().eq_ignore_ascii_case(text))
}

/// Every identity of the implicit set of a view (itself first).
fn members(view: &ServerAssignmentView) -> Vec<ImpuId> {
	let mut out = vec![view.impu.impu];
	for identity in view.profiles.iter().flat_map(|p| p.identities.iter()) {
		if !out.contains(&identity.impu) {
			out.push(identity.impu);
		}
	}
	out
}

/// The SIP-Auth-Data-Item of a SIP Digest MAA: realm, qop "auth" and the
/// HA1 (TS 29.229 6.3.13, RFC 4740's SIP-Digest-Authenticate).
pub fn sip_digest_item(realm: &str, ha1: &str) -> Avp {
	Avp::grouped_of(
		&avp::SIP_AUTH_DATA_ITEM,
		vec![
			Avp::u32_of(&avp::SIP_ITEM_NUMBER, 1),
			Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "SIP Digest"),
			Avp::grouped_of(
				&avp::SIP_DIGEST_AUTHENTICATE,
				vec![
					Avp::utf8_of(&avp::DIGEST_REALM, realm),
					Avp::utf8_of(&avp::DIGEST_QOP, "auth"),
					Avp::utf8_of(&avp::DIGEST_HA1, ha1),
				],
			),
		],
	)
}

/// A known subscriber's identities, resolved.
struct Known {
	directory: Arc<Directory>,
	impu: ImpuId,
	view: Arc<ServerAssignmentView>,
}

impl Cx {
	/// The application over an index, a vault and a journal.
	pub fn new(
		local: LocalIdentity,
		config: CxConfig,
		index: Arc<Index>,
		vault: Arc<Vault>,
		journal: Journal,
		metrics: Arc<Metrics>,
	) -> Self {
		let scscf_peers = config.scscf_peers.iter().cloned().collect();
		Cx {
			local,
			config,
			index,
			vault,
			journal,
			metrics,
			served: Default::default(),
			scscf_peers: std::sync::Mutex::new(scscf_peers),
		}
	}

	/// The realm to record an unknown identity's request in: the one the
	/// request is for, or our own.
	fn realm_for(&self, request: &Message) -> Option<RealmId> {
		let destination = request.optional_utf8(&avp::DESTINATION_REALM).ok().flatten();
		destination
			.and_then(|d| self.index.realm(d))
			.or_else(|| self.index.realm(&self.local.origin_realm))
	}

	fn unknown(
		&self,
		request: &Message,
		kind: Kind,
		identity: &str,
		activity: Activity,
	) -> Outcome {
		let pseudonym = ImpuId::from(self.vault.unknown_pseudonym(kind, identity));
		let subject = match kind {
			Kind::Impi => Subject::Impi(pseudonym),
			_ => Subject::Impu(pseudonym),
		};
		let audit = self.realm_for(request).map(|realm| (realm, subject, activity));
		Outcome::fail(Code::Experimental(experimental::ERROR_USER_UNKNOWN), audit)
	}

	/// Finds a public identity: in the vault (its pseudonym), then in the
	/// index.
	fn find_impu(&self, impu: &str) -> Result<Option<Known>, Refusal> {
		let directory = self
			.vault
			.directory_of(Kind::Impu, impu)
			.map_err(|e| Refusal::Internal(e.to_string()))?;
		let Some(directory) = directory else { return Ok(None) };
		// None when the subscription changed between the look-up and the
		// read: the identity is no longer in it.
		let Some(id) = directory.pseudonym(Kind::Impu, impu).map(ImpuId::from) else {
			return Ok(None);
		};
		Ok(self.index.impu(&id).map(|view| Known { directory, impu: id, view }))
	}

	/// Checks that `impi` belongs to the same subscription as a known IMPU
	/// and is linked to it: `Err(code)` with 5001 or 5002 otherwise.
	fn check_impi(&self, known: &Known, impi: &str) -> Result<ImpuId, u32> {
		let Some(id) = known.directory.pseudonym(Kind::Impi, impi).map(ImpuId::from) else {
			// Another subscription's IMPI: identities don't match.
			return match self.vault.handle_of(Kind::Impi, impi) {
				Ok(Some(_)) => Err(experimental::ERROR_IDENTITIES_DONT_MATCH),
				_ => Err(experimental::ERROR_USER_UNKNOWN),
			};
		};
		if self.index.impi(&id).is_none() {
			return Err(experimental::ERROR_USER_UNKNOWN);
		}
		if !known.view.associated_impis.contains(&id) {
			return Err(experimental::ERROR_IDENTITIES_DONT_MATCH);
		}
		Ok(id)
	}

	fn uar(&self, request: &Message) -> Result<Outcome, Refusal> {
		let impi = request.required_utf8(&avp::USER_NAME)?;
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?;
		let visited = request.find(&avp::VISITED_NETWORK_IDENTIFIER);
		let visited = visited.map(|v| v.octets(&avp::VISITED_NETWORK_IDENTIFIER)).transpose()?;
		let kind = request
			.optional_u32(&avp::USER_AUTHORIZATION_TYPE)?
			.unwrap_or(authorization_type::REGISTRATION);
		if kind > authorization_type::REGISTRATION_AND_CAPABILITIES {
			let failed = request.find(&avp::USER_AUTHORIZATION_TYPE).cloned();
			return Err(Refusal::Avp(AvpError::Value(
				&avp::USER_AUTHORIZATION_TYPE,
				failed.unwrap_or_else(|| Avp::u32_of(&avp::USER_AUTHORIZATION_TYPE, kind)),
			)));
		}
		let activity = Activity::UserAuthorization;
		let Some(known) = self.find_impu(impu)? else {
			return Ok(self.unknown(request, Kind::Impu, impu, activity));
		};
		let view = &known.view.impu;
		let audit = Some((view.realm, Subject::Impu(known.impu), activity));
		if let Err(code) = self.check_impi(&known, impi) {
			return Ok(Outcome::fail(Code::Experimental(code), audit));
		}
		let registration = &view.registration;
		let scscf = registration.scscf.as_ref().map(|s| String::from_utf8_lossy(s).into_owned());
		let server_name = |name: &str| Avp::utf8_of(&avp::SERVER_NAME, name);
		if kind == authorization_type::DE_REGISTRATION {
			return Ok(match (registration.state, scscf) {
				(RegistrationState::NotRegistered, _) | (_, None) => Outcome::fail(
					Code::Experimental(experimental::ERROR_IDENTITY_NOT_REGISTERED),
					audit,
				),
				(_, Some(scscf)) => Outcome {
					code: Code::Base(result::SUCCESS),
					avps: vec![server_name(&scscf)],
					audit,
					registration: None,
					serving: None,
				},
			});
		}
		if view.all_barred || !view.can_register {
			return Ok(Outcome::fail(Code::Base(result::AUTHORIZATION_REJECTED), audit));
		}
		// The visited network as the P-CSCF put it in the header: quotes
		// around it are not part of it.
		let visited =
			visited.map(|v| String::from_utf8_lossy(v).trim().trim_matches('"').to_string());
		if let Some(visited) = visited.filter(|v| !v.is_empty()) {
			let home = String::from_utf8_lossy(&view.realm_name);
			let allowed = visited.eq_ignore_ascii_case(&home)
				|| view
					.roaming
					.iter()
					.any(|n| String::from_utf8_lossy(n).eq_ignore_ascii_case(&visited));
			if !allowed {
				return Ok(Outcome::fail(
					Code::Experimental(experimental::ERROR_ROAMING_NOT_ALLOWED),
					audit,
				));
			}
		}
		let outcome = match (registration.state, scscf) {
			(RegistrationState::Registered | RegistrationState::Unregistered, Some(scscf)) => {
				Outcome {
					code: Code::Experimental(experimental::SUBSEQUENT_REGISTRATION),
					avps: vec![server_name(&scscf)],
					audit,
					registration: None,
					serving: None,
				}
			},
			_ => {
				let name = self
					.config
					.scscf_name
					.as_deref()
					.filter(|_| kind != authorization_type::REGISTRATION_AND_CAPABILITIES);
				let avps = match name {
					Some(name) => vec![server_name(name)],
					None => vec![Avp::grouped_of(&avp::SERVER_CAPABILITIES, Vec::new())],
				};
				Outcome {
					code: Code::Experimental(experimental::FIRST_REGISTRATION),
					avps,
					audit,
					registration: None,
					serving: None,
				}
			},
		};
		Ok(outcome)
	}

	async fn mar(&self, request: &Message) -> Result<Outcome, Refusal> {
		let impi = request.required_utf8(&avp::USER_NAME)?.to_string();
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?.to_string();
		let wanted_items = request.optional_u32(&avp::SIP_NUMBER_AUTH_ITEMS)?.unwrap_or(1);
		let item = request.find(&avp::SIP_AUTH_DATA_ITEM);
		let (scheme_name, authorization) = match item {
			Some(item) => {
				let scheme =
					item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHENTICATION_SCHEME)?;
				let scheme = scheme.map(|s| s.utf8(&avp::SIP_AUTHENTICATION_SCHEME)).transpose()?;
				let authz = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHORIZATION)?;
				let authz = authz.map(|a| a.octets(&avp::SIP_AUTHORIZATION)).transpose()?;
				(scheme.map(str::to_string), authz.map(<[u8]>::to_vec))
			},
			None => (None, None),
		};
		let Some(known) = self.find_impu(&impu)? else {
			let activity = Activity::AuthenticationChallenge(AuthScheme::SipDigest);
			return Ok(self.unknown(request, Kind::Impi, &impi, activity));
		};
		let realm = known.view.impu.realm;
		let impi_id = match self.check_impi(&known, &impi) {
			Ok(id) => id,
			Err(code) => {
				let audit = Some((
					realm,
					Subject::Impu(known.impu),
					Activity::AuthenticationChallenge(AuthScheme::SipDigest),
				));
				return Ok(Outcome::fail(Code::Experimental(code), audit));
			},
		};
		let Some(entry) = self.index.impi(&impi_id) else {
			return Ok(Outcome::fail(Code::Experimental(experimental::ERROR_USER_UNKNOWN), None));
		};
		let requested = match scheme_name.as_deref() {
			None | Some("") | Some("Unknown") => Some(entry.default_scheme),
			Some(name) => scheme_named(name),
		};
		// The one request that opens the sealed record: for the IMPI's
		// secrets, borrowed from it, not copied (fewer copies to wipe).
		let subscriber = self
			.vault
			.get(&known.directory.handle)
			.map_err(|e| Refusal::Internal(e.to_string()))?;
		let Some(subscriber) = subscriber else {
			// Erased since the directory was read.
			let audit = Some((
				realm,
				Subject::Impi(impi_id),
				Activity::AuthenticationChallenge(requested.unwrap_or(entry.default_scheme)),
			));
			return Ok(Outcome::fail(Code::Experimental(experimental::ERROR_USER_UNKNOWN), audit));
		};
		let secrets = subscriber.impi(&impi);
		let digest = secrets.and_then(|s| s.digest.as_ref());
		let has_aka = secrets.is_some_and(|s| s.aka.is_some());
		let allowed = |s: AuthScheme| entry.schemes.contains(s);
		// The scheme answered: SIP Digest wherever the request allows it (the
		// S-CSCF then sees only HA1).
		let answered = match requested {
			Some(s @ (AuthScheme::AkaV1Md5 | AuthScheme::AkaV2Md5)) if allowed(s) && has_aka => {
				Some(s)
			},
			Some(AuthScheme::DigestMd5) if allowed(AuthScheme::SipDigest) && digest.is_some() => {
				Some(AuthScheme::SipDigest)
			},
			Some(AuthScheme::DigestMd5)
				if allowed(AuthScheme::DigestMd5)
					&& self.config.digest_md5
					&& digest.is_some_and(|d| d.password.is_some()) =>
			{
				Some(AuthScheme::DigestMd5)
			},
			Some(AuthScheme::SipDigest | AuthScheme::Digest)
				if (allowed(AuthScheme::SipDigest) || allowed(AuthScheme::Digest))
					&& digest.is_some() =>
			{
				Some(AuthScheme::SipDigest)
			},
			_ => None,
		};
		let Some(scheme) = answered else {
			let audit = Some((
				realm,
				Subject::Impi(impi_id),
				Activity::AuthenticationChallenge(requested.unwrap_or(entry.default_scheme)),
			));
			return Ok(Outcome::fail(
				Code::Experimental(experimental::ERROR_AUTH_SCHEME_NOT_SUPPORTED),
				audit,
			));
		};
		let mut activity = Activity::AuthenticationChallenge(scheme);
		let mut items = Vec::new();
		match scheme {
			AuthScheme::AkaV1Md5 | AuthScheme::AkaV2Md5 => {
				if let Some(authorization) = authorization.filter(|a| !a.is_empty()) {
					activity = Activity::Resynchronisation;
					self.resync(&impi, &authorization).await?;
				}
				let count = wanted_items.clamp(1, self.config.max_auth_items.max(1));
				for number in 1..=count {
					let vault = self.vault.clone();
					let owner = impi.clone();
					let taken = tokio::task::spawn_blocking(move || vault.next_aka(&owner))
						.await
						.map_err(|e| Refusal::Internal(e.to_string()))?
						.map_err(|e| Refusal::Internal(e.to_string()))?;
					let Some((keys, sqn)) = taken else {
						return Err(Refusal::Internal("AKA keys vanished from the vault".into()));
					};
					let mut rand = [0u8; 16];
					rand::rngs::OsRng.fill_bytes(&mut rand);
					let vector = aka_vector(&keys, sqn, rand);
					items.push(Avp::grouped_of(
						&avp::SIP_AUTH_DATA_ITEM,
						vec![
							Avp::u32_of(&avp::SIP_ITEM_NUMBER, number),
							Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, scheme.diameter_name()),
							Avp::octets_of(
								&avp::SIP_AUTHENTICATE,
								vector.sip_authenticate().to_vec(),
							),
							Avp::octets_of(&avp::SIP_AUTHORIZATION, vector.xres.to_vec()),
							Avp::octets_of(&avp::CONFIDENTIALITY_KEY, vector.ck.to_vec()),
							Avp::octets_of(&avp::INTEGRITY_KEY, vector.ik.to_vec()),
						],
					));
				}
			},
			AuthScheme::DigestMd5 => {
				let Some(password) = digest.and_then(|d| d.password.as_deref()) else {
					return Err(Refusal::Internal("Digest-MD5 password missing".into()));
				};
				let mut nonce = [0u8; 16];
				rand::rngs::OsRng.fill_bytes(&mut nonce);
				items.push(Avp::grouped_of(
					&avp::SIP_AUTH_DATA_ITEM,
					vec![
						Avp::u32_of(&avp::SIP_ITEM_NUMBER, 1),
						Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "Digest-MD5"),
						Avp::octets_of(&avp::SIP_AUTHENTICATE, hex::encode(nonce).into_bytes()),
						Avp::octets_of(&avp::SIP_AUTHORIZATION, password.as_bytes().to_vec()),
					],
				));
			},
			_ => {
				let Some(digest) = digest else {
					return Err(Refusal::Internal("SIP Digest secret missing".into()));
				};
				items.push(sip_digest_item(&digest.realm, &digest.ha1));
			},
		}
		let mut avps = vec![
			Avp::utf8_of(&avp::USER_NAME, &impi),
			Avp::utf8_of(&avp::PUBLIC_IDENTITY, &impu),
			Avp::u32_of(&avp::SIP_NUMBER_AUTH_ITEMS, items.len() as u32),
		];
		avps.extend(items);
		Ok(Outcome {
			code: Code::Base(result::SUCCESS),
			avps,
			audit: Some((realm, Subject::Impi(impi_id), activity)),
			registration: None,
			serving: None,
		})
	}

	/// A resynchronisation: a valid AUTS moves the vault's SQN past the
	/// USIM's; an invalid one leaves it (new vectors are sent either way,
	/// TS 33.102 section 6.3.5).
	async fn resync(&self, impi: &str, authorization: &[u8]) -> Result<(), Refusal> {
		let vault = self.vault.clone();
		let owner = impi.to_string();
		let authorization = authorization.to_vec();
		let outcome = tokio::task::spawn_blocking(move || -> Result<(), String> {
			let keys = vault.next_aka_keys(&owner).map_err(|e| e.to_string())?;
			let Some(keys) = keys else { return Ok(()) };
			match auth::resync(&keys, &authorization) {
				Ok(sqn_ms) => {
					vault.resync(&owner, sqn_ms).map_err(|e| e.to_string())?;
				},
				Err(e) => tracing::warn!(error = %e, "AKA resynchronisation refused"),
			}
			Ok(())
		})
		.await
		.map_err(|e| Refusal::Internal(e.to_string()))?;
		outcome.map_err(Refusal::Internal)
	}

	fn sar(&self, request: &Message) -> Result<Outcome, Refusal> {
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?;
		let server = request.required_utf8(&avp::SERVER_NAME)?;
		let kind = request.required_u32(&avp::SERVER_ASSIGNMENT_TYPE)?;
		let impi = request.optional_utf8(&avp::USER_NAME)?;
		if kind > assignment::DEREGISTRATION_TOO_MUCH_DATA {
			let failed = request.find(&avp::SERVER_ASSIGNMENT_TYPE).cloned();
			return Err(Refusal::Avp(AvpError::Value(
				&avp::SERVER_ASSIGNMENT_TYPE,
				failed.unwrap_or_else(|| Avp::u32_of(&avp::SERVER_ASSIGNMENT_TYPE, kind)),
			)));
		}
		let activity = match kind {
			assignment::REGISTRATION => Activity::Registration,
			assignment::RE_REGISTRATION => Activity::ReRegistration,
			assignment::UNREGISTERED_USER => Activity::UnregisteredService,
			_ => Activity::Deregistration,
		};
		let Some(known) = self.find_impu(impu)? else {
			return Ok(self.unknown(request, Kind::Impu, impu, activity));
		};
		let view = known.view.clone();
		let audit = Some((view.impu.realm, Subject::Impu(known.impu), activity));
		let private_identity = match impi {
			Some(impi) => match self.check_impi(&known, impi) {
				Ok(_) => impi.to_string(),
				Err(code) => return Ok(Outcome::fail(Code::Experimental(code), audit)),
			},
			// The first IMPI of the subscription linked to this IMPU.
			None => known
				.directory
				.impis
				.iter()
				.find(|(_, id)| view.associated_impis.contains(&ImpuId::from(*id)))
				.map(|(impi, _)| impi.clone())
				.unwrap_or_default(),
		};
		let current = &view.impu.registration;
		let new_state = match kind {
			assignment::REGISTRATION | assignment::RE_REGISTRATION => {
				Some(RegistrationState::Registered)
			},
			assignment::UNREGISTERED_USER => Some(RegistrationState::Unregistered),
			assignment::NO_ASSIGNMENT => None,
			// A failed or timed-out authentication of a registered identity
			// leaves it registered; of another, frees the S-CSCF.
			assignment::AUTHENTICATION_FAILURE | assignment::AUTHENTICATION_TIMEOUT
				if current.state == RegistrationState::Registered =>
			{
				None
			},
			_ => Some(RegistrationState::NotRegistered),
		};
		let set = members(&view);
		let registration = new_state.and_then(|state| {
			let scscf = Index::holds_scscf(state).then(|| name(server));
			let next = RegistrationView { state, scscf: scscf.clone() };
			(next != *current)
				.then(|| (RegistrationReport { impu: known.impu, state, scscf }, set.clone()))
		});
		let mut avps = vec![Avp::utf8_of(&avp::USER_NAME, &private_identity)];
		let with_profile = matches!(
			kind,
			assignment::NO_ASSIGNMENT
				| assignment::REGISTRATION
				| assignment::RE_REGISTRATION
				| assignment::UNREGISTERED_USER
		);
		if with_profile {
			let xml = user_data::ims_subscription(&private_identity, &view, |id| {
				known.directory.impu_named(&id.0)
			});
			avps.push(Avp::octets_of(&avp::USER_DATA, xml.into_bytes()));
			if let Some(charging) = &view.charging {
				let functions = [
					(&avp::PRIMARY_EVENT_CHARGING_FUNCTION_NAME, &charging.primary_ecf),
					(&avp::SECONDARY_EVENT_CHARGING_FUNCTION_NAME, &charging.secondary_ecf),
					(&avp::PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME, &charging.primary_ccf),
					(&avp::SECONDARY_CHARGING_COLLECTION_FUNCTION_NAME, &charging.secondary_ccf),
				];
				let children: Vec<Avp> = functions
					.into_iter()
					.filter_map(|(def, value)| {
						value.as_ref().map(|v| Avp::octets_of(def, v.to_vec()))
					})
					.collect();
				if !children.is_empty() {
					avps.push(Avp::grouped_of(&avp::CHARGING_INFORMATION, children));
				}
			}
		}
		let serving = match new_state {
			Some(RegistrationState::Registered | RegistrationState::Unregistered) => Some((
				set.clone(),
				Some(Served {
					impu: impu.to_string(),
					impi: private_identity.clone(),
					peer: String::new(),
					realm: view.impu.realm,
					members: set,
					scscf: server.to_string(),
				}),
			)),
			Some(RegistrationState::NotRegistered) => Some((set, None)),
			None => None,
		};
		Ok(Outcome { code: Code::Base(result::SUCCESS), avps, audit, registration, serving })
	}

	fn lir(&self, request: &Message) -> Result<Outcome, Refusal> {
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?;
		let activity = Activity::LocationQuery;
		let Some(known) = self.find_impu(impu)? else {
			return Ok(self.unknown(request, Kind::Impu, impu, activity));
		};
		let view = &known.view;
		let audit = Some((view.impu.realm, Subject::Impu(known.impu), activity));
		let registration = &view.impu.registration;
		if let (RegistrationState::Registered | RegistrationState::Unregistered, Some(scscf)) =
			(registration.state, &registration.scscf)
		{
			return Ok(Outcome {
				code: Code::Base(result::SUCCESS),
				avps: vec![Avp::octets_of(&avp::SERVER_NAME, scscf.to_vec())],
				audit,
				registration: None,
				serving: None,
			});
		}
		// Unregistered services: criteria that apply while unregistered.
		let unregistered_services = view
			.profiles
			.iter()
			.flat_map(|p| p.ifcs.iter())
			.any(|ifc| matches!(ifc.profile_part, None | Some(ProfilePart::Unregistered)));
		match (&self.config.scscf_name, unregistered_services) {
			(Some(scscf), true) => Ok(Outcome {
				code: Code::Experimental(experimental::UNREGISTERED_SERVICE),
				avps: vec![Avp::utf8_of(&avp::SERVER_NAME, scscf)],
				audit,
				registration: None,
				serving: None,
			}),
			_ => Ok(Outcome::fail(
				Code::Experimental(experimental::ERROR_IDENTITY_NOT_REGISTERED),
				audit,
			)),
		}
	}

	/// Records what the outcome requires (its registration report and audit
	/// record, appended together), then builds the answer. A record that
	/// cannot be made durable turns the answer into 5012.
	async fn finish(&self, peer: &PeerInfo, request: &Message, outcome: Outcome) -> Message {
		let Outcome { code, avps, audit, registration, serving } = outcome;
		let mut entries = Vec::with_capacity(2);
		let mut pending = None;
		if let Some((report, members)) = registration {
			pending = Some((
				members,
				RegistrationView { state: report.state, scscf: report.scscf.clone() },
			));
			entries.push(Entry::Registration(report));
		}
		match audit {
			Some((realm, subject, activity)) => entries.push(Entry::Audit(
				realm,
				FrontRecord {
					subject,
					peer: Peer::Diameter(Token::truncate_from(
						peer.origin_host.as_bytes().to_vec(),
					)),
					activity,
					result: code.value(),
					at_ms: now_ms(),
				},
			)),
			None => self.metrics.unrecorded.inc(),
		}
		if !entries.is_empty() {
			if let Err(e) = self.journal.append(entries).await {
				tracing::error!(error = %e, "audit record or registration report not journaled");
				return self.internal_error(request);
			}
		}
		if let Some((members, view)) = pending {
			self.index.set_registration(&members, view);
		}
		if let Some((members, served)) = serving {
			let served = served.map(|s| Arc::new(Served { peer: peer.origin_host.clone(), ..s }));
			if let Some(served) = &served {
				let mut known = self.scscf_peers.lock().unwrap_or_else(|p| p.into_inner());
				if known.get(&served.scscf) != Some(&served.peer) {
					known.insert(served.scscf.clone(), served.peer.clone());
				}
			}
			let mut map = self.served.lock().unwrap_or_else(|p| p.into_inner());
			for member in members {
				match &served {
					Some(served) => map.insert(member, served.clone()),
					None => map.remove(&member),
				};
			}
		}
		let mut answer = answer_for(&self.local, request);
		answer.avps.extend(avps);
		answer.push(code.avp());
		answer
	}

	/// Who serves `impu` according to the chain (its view from before it was
	/// barred or removed), when that S-CSCF's Diameter peer is known and the
	/// vault still holds the identities in clear.
	fn served_by_chain(&self, impu: &ImpuId, before: &ServerAssignmentView) -> Option<Arc<Served>> {
		let (scscf, peer) = self.serving_peer(before)?;
		let directory = match self.vault.directory(&before.impu.subscription.0) {
			Ok(Some(directory)) => directory,
			Ok(None) => {
				tracing::warn!(
					"a terminated registration's subscriber is no longer in the vault; no RTR"
				);
				return None;
			},
			Err(e) => {
				tracing::error!(error = %e, "vault read failed; no RTR");
				return None;
			},
		};
		Self::served_from(&directory, impu, before, scscf, peer)
	}

	/// The S-CSCF the chain holds `view`'s identity registered at, and the
	/// Diameter peer that uses its name.
	fn serving_peer(&self, view: &ServerAssignmentView) -> Option<(String, String)> {
		let registration = &view.impu.registration;
		if !Index::holds_scscf(registration.state) {
			return None;
		}
		let scscf = String::from_utf8_lossy(registration.scscf.as_ref()?).to_string();
		let peer = {
			let known = self.scscf_peers.lock().unwrap_or_else(|p| p.into_inner());
			known.get(&scscf).cloned()
		};
		let Some(peer) = peer else {
			tracing::warn!(%scscf, "no Diameter peer known for the S-CSCF of a terminated registration; no RTR (set server_name in [[diameter.peers]])");
			return None;
		};
		Some((scscf, peer))
	}

	fn served_from(
		directory: &Directory,
		impu: &ImpuId,
		view: &ServerAssignmentView,
		scscf: String,
		peer: String,
	) -> Option<Arc<Served>> {
		Some(Arc::new(Served {
			impu: directory.impu_named(&impu.0)?.to_string(),
			impi: directory.impis.first()?.0.clone(),
			peer,
			realm: view.impu.realm,
			members: members(view),
			scscf,
		}))
	}

	/// Called before `subscriber` leaves the vault (the admin socket's
	/// `subscriber remove`): each of its implicit sets the index holds
	/// registered at an S-CSCF, and this process has not served, is kept
	/// with its names in clear, as a SAR to this process would have left
	/// it. The RTR that follows the chain's removal then finds its target
	/// although the vault no longer has the names (after a restart, the
	/// vault was its only source). Returns how many sets were kept.
	pub fn keep_for_termination(&self, subscriber: &Subscriber) -> usize {
		let mut kept = 0;
		let directory = Directory::of(subscriber);
		for (_, id) in &directory.impus {
			let id = ImpuId::from(*id);
			if self.served.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&id) {
				continue;
			}
			let Some(view) = self.index.impu(&id) else { continue };
			let Some((scscf, peer)) = self.serving_peer(&view) else { continue };
			let Some(served) = Self::served_from(&directory, &id, &view, scscf, peer) else {
				continue;
			};
			let mut map = self.served.lock().unwrap_or_else(|p| p.into_inner());
			for member in &served.members {
				map.entry(*member).or_insert_with(|| served.clone());
			}
			kept += 1;
		}
		kept
	}

	/// Sends a Registration-Termination-Request (reason: permanent
	/// termination) to the S-CSCF serving each of `gone` (identities the
	/// chain has just barred or removed, with their views from before), and
	/// records the deregistration (report and audit record) when the S-CSCF
	/// agrees. The S-CSCF is the one a SAR to this process named, else the
	/// one the chain holds the identity registered at (after a restart),
	/// reached through the peer that uses that Server-Name. An RTR nobody
	/// answers is recorded only on the `last_attempt` (the caller retries).
	pub async fn terminate(
		&self,
		peers: &crate::diameter::peer::Peers,
		gone: &[(ImpuId, Arc<ServerAssignmentView>)],
		timeout: std::time::Duration,
		last_attempt: bool,
	) -> Vec<Termination> {
		let mut targets: Vec<Arc<Served>> = Vec::new();
		for (impu, before) in gone {
			if targets.iter().any(|t| t.members.contains(impu)) {
				continue;
			}
			let served = {
				let map = self.served.lock().unwrap_or_else(|p| p.into_inner());
				map.get(impu).cloned()
			};
			if let Some(served) = served.or_else(|| self.served_by_chain(impu, before)) {
				targets.push(served);
			}
		}
		let mut results = Vec::new();
		for served in targets {
			let id = peers.next_id();
			let session = format!("{};{};rtr", self.local.origin_host, id);
			let mut rtr = Message::request(
				command::REGISTRATION_TERMINATION,
				crate::diameter::dict::APP_CX,
				id,
				id,
			)
			.with(Avp::utf8_of(&avp::SESSION_ID, &session))
			.with(crate::diameter::peer::vsai())
			.with(Avp::u32_of(&avp::AUTH_SESSION_STATE, crate::diameter::dict::NO_STATE_MAINTAINED))
			.with(Avp::utf8_of(&avp::ORIGIN_HOST, &self.local.origin_host))
			.with(Avp::utf8_of(&avp::ORIGIN_REALM, &self.local.origin_realm))
			.with(Avp::utf8_of(&avp::DESTINATION_HOST, &served.peer))
			.with(Avp::utf8_of(&avp::DESTINATION_REALM, &self.local.origin_realm))
			.with(Avp::utf8_of(&avp::USER_NAME, &served.impi))
			.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, &served.impu))
			.with(Avp::grouped_of(
				&avp::DEREGISTRATION_REASON,
				vec![
					Avp::u32_of(&avp::REASON_CODE, 0),
					Avp::utf8_of(&avp::REASON_INFO, "barred or removed by the operator"),
				],
			));
			// RTR is not proxiable.
			rtr.header.flags = crate::diameter::codec::flags::REQUEST;
			let code = match peers.request(&served.peer, rtr, timeout).await {
				Ok(rta) => rta.optional_u32(&avp::RESULT_CODE).ok().flatten().unwrap_or(0),
				Err(e) => {
					tracing::warn!(error = %e, peer = %served.peer, "RTR not answered");
					0
				},
			};
			self.metrics.observe(
				command::REGISTRATION_TERMINATION,
				code,
				std::time::Duration::ZERO,
			);
			let Some(first) = served.members.first().copied() else { continue };
			results.push(Termination { members: served.members.clone(), code });
			if code == 0 && !last_attempt {
				continue;
			}
			let mut entries = Vec::with_capacity(2);
			if code == result::SUCCESS {
				entries.push(Entry::Registration(RegistrationReport {
					impu: first,
					state: RegistrationState::NotRegistered,
					scscf: None,
				}));
				self.index.set_registration(&served.members, RegistrationView::default());
				let mut map = self.served.lock().unwrap_or_else(|p| p.into_inner());
				for member in &served.members {
					map.remove(member);
				}
			}
			entries.push(Entry::Audit(
				served.realm,
				FrontRecord {
					subject: Subject::Impu(first),
					peer: Peer::Diameter(Token::truncate_from(served.peer.as_bytes().to_vec())),
					activity: Activity::Deregistration,
					result: code,
					at_ms: now_ms(),
				},
			));
			if let Err(e) = self.journal.append(entries).await {
				tracing::error!(error = %e, "RTR audit record or deregistration report not journaled");
			}
		}
		results
	}

	fn internal_error(&self, request: &Message) -> Message {
		error_answer(
			&self.local,
			&request.header,
			request.find(&avp::SESSION_ID),
			result::UNABLE_TO_COMPLY,
			None,
			"the request could not be recorded",
		)
	}
}

impl Application for Cx {
	async fn handle(&self, peer: &PeerInfo, request: Message) -> Message {
		let started = Instant::now();
		let command = request.header.command;
		let decided = match request.required_utf8(&avp::SESSION_ID) {
			Err(e) => Err(Refusal::Avp(e)),
			Ok(_) => match command {
				command::USER_AUTHORIZATION => self.uar(&request),
				command::MULTIMEDIA_AUTH => self.mar(&request).await,
				command::SERVER_ASSIGNMENT => self.sar(&request),
				command::LOCATION_INFO => self.lir(&request),
				_ => Err(Refusal::Internal(format!("command {command} reached the Cx handler"))),
			},
		};
		let answer = match decided {
			Ok(outcome) => self.finish(peer, &request, outcome).await,
			Err(Refusal::Avp(e)) => error_answer(
				&self.local,
				&request.header,
				request.find(&avp::SESSION_ID),
				e.result_code(),
				Some(e.failed_avp()),
				&e.to_string(),
			),
			Err(Refusal::Internal(e)) => {
				tracing::error!(command, error = %e, "Cx request failed");
				self.internal_error(&request)
			},
		};
		let code = answer
			.optional_u32(&avp::RESULT_CODE)
			.ok()
			.flatten()
			.or_else(|| {
				let er = answer.find(&avp::EXPERIMENTAL_RESULT)?;
				er.child(&avp::EXPERIMENTAL_RESULT, &avp::EXPERIMENTAL_RESULT_CODE)
					.ok()
					.flatten()?
					.u32(&avp::EXPERIMENTAL_RESULT_CODE)
					.ok()
			})
			.unwrap_or(0);
		self.metrics.observe(command, code, started.elapsed());
		answer
	}
}

#[cfg(test)]
mod tests;
