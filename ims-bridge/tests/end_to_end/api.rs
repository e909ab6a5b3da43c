//! The provisioning API over real HTTPS (reqwest) against a real bridge
//! and `ims-node --dev` (`docs/provisioning-api.md`): tokens bound to
//! accounts, writes made on chain as the token's account through
//! `access.act_for`, and the chain's refusal once that account loses its
//! role, although the bridge's own account could still make the change.

use crate::common::*;
use ims_bridge::chain::ims;
use ims_bridge::chain::ims::runtime_types::ims_primitives::access::Role;
use ims_primitives::audit::{Activity, Actor};
use ims_test_harness::pki::Pki;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::dev;

/// The name the API's certificate is issued for (and that the Python
/// tools resolve to loopback).
const API_HOST: &str = "localhost";

pub(crate) fn account(keypair: &subxt_signer::sr25519::Keypair) -> AccountId32 {
	keypair.public_key().into()
}

/// Issues a token with `ims-bridge api token create`; returns it.
pub(crate) fn token(setup: &Setup, name: &str, who: &AccountId32, more: &[&str]) -> String {
	let mut command = setup.bridge_command();
	command.args(["api", "token", "create", "--config"]).arg(&setup.config);
	command.args(["--name", name, "--account", &who.to_string()]).args(more);
	let output = command.output().unwrap();
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// The token's id, as `api token list` and `revoke` name it.
fn token_id(token: &str) -> &str {
	token.trim_start_matches("imsb_").split('_').next().unwrap()
}

/// Serves the API on HTTPS with a certificate of a test CA, each token
/// allowed `rate` requests a second (and as many in a burst); returns the
/// port and a client trusting that CA.
fn serve_api(setup: &Setup, rate: u32) -> (u16, reqwest::Client) {
	let port = free_tcp_port();
	let pki = Pki::new(setup.dir.path(), "api-ca");
	let issued = pki.issue(API_HOST);
	let mut text = std::fs::read_to_string(&setup.config).unwrap();
	text.push_str(&format!(
		"\n[api]\nlisten = \"127.0.0.1:{port}\"\nrequests_per_second = {rate}\nburst = {rate}\n\
		 [api.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
		issued.cert.display(),
		issued.key.display()
	));
	std::fs::write(&setup.config, text).unwrap();
	let ca = reqwest::Certificate::from_pem(&std::fs::read(&pki.ca_pem).unwrap()).unwrap();
	let client = reqwest::Client::builder()
		.add_root_certificate(ca)
		.resolve(API_HOST, ([127, 0, 0, 1], port).into())
		.timeout(Duration::from_secs(120))
		.build()
		.unwrap();
	(port, client)
}

pub(crate) struct Api {
	pub(crate) client: reqwest::Client,
	pub(crate) base: String,
}

impl Api {
	pub(crate) async fn call(
		&self,
		method: reqwest::Method,
		path: &str,
		token: Option<&str>,
		body: Option<Value>,
	) -> (StatusCode, Value) {
		let mut request = self.client.request(method, format!("{}{path}", self.base));
		if let Some(token) = token {
			request = request.bearer_auth(token);
		}
		if let Some(body) = body {
			request = request.json(&body);
		}
		let response = request.send().await.unwrap();
		let status = response.status();
		let text = response.text().await.unwrap();
		(status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
	}

	pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
		self.call(reqwest::Method::GET, path, token, None).await
	}
}

/// A development chain and a bridge serving the API (each token allowed
/// `rate` requests a second), once its port answers.
pub(crate) struct Running {
	_node: Node,
	pub(crate) setup: Setup,
	_bridge: Proc,
	pub(crate) api: Api,
	pub(crate) port: u16,
}

pub(crate) async fn running(rate: u32) -> Running {
	let (node, setup) = dev_chain().await;
	let (port, client) = serve_api(&setup, rate);
	let bridge = setup.start_bridge();
	wait_for("the API port", Duration::from_secs(60), || {
		std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
	});
	let api = Api { client, base: format!("https://{API_HOST}:{port}") };
	Running { _node: node, setup, _bridge: bridge, api, port }
}

pub(crate) fn carol() -> Value {
	json!({
		"realm": REALM,
		"subscription": "carol",
		"impis": [{"identity": "carol@ims.example.net", "password": "carol-secret"}],
		"impus": [{"identity": "sip:carol@ims.example.net"}, {"identity": "tel:+15550003"}]
	})
}

/// Tokens of Alice (the realm's owner, the bridge's own account) and of
/// Charlie (no role, no appointment), and Carol created with Alice's: where
/// most API tests start. Returns the tokens and Carol's view.
pub(crate) async fn carol_by_alice(setup: &Setup, api: &Api) -> (String, String, Value) {
	let alices = token(setup, "owner", &account(&dev::alice()), &[]);
	let charlies = token(setup, "intruder", &account(&dev::charlie()), &[]);
	let (status, created) =
		api.call(reqwest::Method::POST, "/v1/subscribers", Some(&alices), Some(carol())).await;
	assert_eq!(status, StatusCode::CREATED, "{created}");
	(alices, charlies, created)
}

/// The actors of the changes recorded about `subject` (hex) in realm 0.
async fn actors(url: &str, subject: &str) -> Vec<Actor<[u8; 32]>> {
	let subject: [u8; 32] = hex::decode(subject).unwrap().try_into().unwrap();
	let entries = audit_entries(url, subject).await;
	entries
		.into_iter()
		.filter(|entry| matches!(entry.activity, Activity::Change(_)))
		.map(|entry| entry.actor)
		.collect()
}

#[tokio::test]
async fn the_api_provisions_as_the_tokens_account_and_the_chain_decides() {
	let Running { setup, api, .. } = &running(100).await;
	let (bob, charlie) = (dev::bob(), dev::charlie());
	// Bob provisions realm 0 and makes the bridge's account (Alice) his
	// agent; Charlie holds nothing and appointed nobody.
	let grant = ims::transactions().access().grant_role(0, account(&bob), Role::Provisioner, None);
	as_alice(&setup.rpc_url, grant, "Bob's role").await;
	let appoint = ims::transactions().access().appoint_agent(account(&dev::alice()), None);
	as_signer(&setup.rpc_url, &bob, appoint, "Bob's appointment").await;
	// Tokens issued while the bridge runs count from the next request.
	let bobs = token(setup, "crm", &account(&bob), &[]);
	let charlies = token(setup, "intruder", &account(&charlie), &[]);
	let expired = token(setup, "old", &account(&bob), &["--expires-in-days", "0"]);
	let revoked = token(setup, "leaked", &account(&bob), &[]);
	let mut revoke = setup.bridge_command();
	revoke.args(["api", "token", "revoke", "--config"]).arg(&setup.config).arg(token_id(&revoked));
	assert!(revoke.output().unwrap().status.success());

	// Who may ask at all.
	let (status, body) = api.get("/v1/realms", None).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
	for (bad, code) in [(&expired, "token_expired"), (&revoked, "token_revoked")] {
		let (status, body) = api.get("/v1/realms", Some(bad)).await;
		assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some(code)));
	}
	let (status, body) = api.get("/v1/realms", Some("imsb_0011223344556677_00")).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
	let (status, realms) = api.get("/v1/realms", Some(&bobs)).await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(realms[0]["name"], REALM);
	let (status, realm) = api.get(&format!("/v1/realms/{REALM}"), Some(&bobs)).await;
	assert_eq!((status, realm["id"].as_u64()), (StatusCode::OK, Some(0)));

	// Bob creates Carol: the chain's records name Bob, the answer holds no
	// secret.
	let post = reqwest::Method::POST;
	let (status, created) =
		api.call(post.clone(), "/v1/subscribers", Some(&bobs), Some(carol())).await;
	assert_eq!(status, StatusCode::CREATED, "{created}");
	assert!(!created.to_string().contains("carol-secret"), "{created}");
	assert_eq!(created["impus"][0]["state"]["registration"], "NotRegistered");
	let subscription = created["pseudonym"].as_str().unwrap().to_string();
	let bob_raw: [u8; 32] = account(&bob).0;
	wait_for_async("Bob named on Carol's record", || async {
		actors(&setup.rpc_url, &subscription).await.contains(&Actor::Account(bob_raw))
	})
	.await;
	let (status, body) =
		api.call(post.clone(), "/v1/subscribers", Some(&bobs), Some(carol())).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
	let (status, read) = api.get("/v1/subscribers/sip:carol@ims.example.net", Some(&bobs)).await;
	assert_eq!((status, &read["pseudonym"]), (StatusCode::OK, &created["pseudonym"]));

	// Bob bars Carol's number and gives her SIP identity a profile; a
	// profile the realm lacks is the chain's refusal, an IMPI no IMPU.
	let put = reqwest::Method::PUT;
	let barring = "/v1/subscribers/tel:+15550003/barring";
	let (status, changed) =
		api.call(put.clone(), barring, Some(&bobs), Some(json!({"barred": true}))).await;
	assert_eq!(status, StatusCode::OK, "{changed}");
	assert_eq!(changed["impus"][1]["state"]["barred"], true, "{changed}");
	assert_eq!(changed["impus"][0]["state"]["barred"], false, "{changed}");
	let profile = "/v1/subscribers/sip:carol@ims.example.net/profile";
	let (status, changed) =
		api.call(put.clone(), profile, Some(&bobs), Some(json!({"profile": 0}))).await;
	assert_eq!((status, &changed["impus"][0]["state"]["profile"]), (StatusCode::OK, &json!(0)));
	let (status, body) =
		api.call(put.clone(), profile, Some(&bobs), Some(json!({"profile": 77}))).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("refused_by_chain")),
		"{body}"
	);
	let impi_barring = "/v1/subscribers/carol@ims.example.net/barring";
	let (status, body) =
		api.call(put.clone(), impi_barring, Some(&bobs), Some(json!({"barred": true}))).await;
	assert_eq!(
		(status, body["field"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("identity"))
	);
	let (status, body) =
		api.call(put.clone(), barring, Some(&bobs), Some(json!({"barred": "yes"}))).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed")));
	let (status, body) =
		api.call(put.clone(), barring, Some(&charlies), Some(json!({"barred": false}))).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_appointed")));

	// Roaming and implicit sets: a list of domains; a barred number may
	// not lead a set of its own, an unbarred one may, and lead it again.
	let roaming = "/v1/subscribers/sip:carol@ims.example.net/roaming";
	let networks = json!({"networks": ["visited.example.org"]});
	let (status, changed) = api.call(put.clone(), roaming, Some(&bobs), Some(networks)).await;
	assert_eq!(status, StatusCode::OK, "{changed}");
	assert_eq!(changed["impus"][0]["state"]["roaming"], json!(["visited.example.org"]));
	let (status, body) =
		api.call(put.clone(), roaming, Some(&bobs), Some(json!({"networks": ["a b"]}))).await;
	assert_eq!(
		(status, body["field"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("networks[0]"))
	);
	let set = "/v1/subscribers/tel:+15550003/implicit-set";
	let (status, body) = api.call(put.clone(), set, Some(&bobs), Some(json!({"set": 5}))).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("refused_by_chain")),
		"{body}"
	);
	let unbar = Some(json!({"barred": false}));
	assert_eq!(api.call(put.clone(), barring, Some(&bobs), unbar).await.0, StatusCode::OK);
	let (status, changed) = api.call(put.clone(), set, Some(&bobs), Some(json!({"set": 5}))).await;
	assert_eq!(status, StatusCode::OK, "{changed}");
	assert_eq!(changed["impus"][1]["state"]["implicit_set"], 5, "{changed}");
	assert_eq!(changed["impus"][0]["state"]["implicit_set"], 1, "{changed}");
	let lead = Some(json!({"set": 5, "default": true}));
	assert_eq!(api.call(put.clone(), set, Some(&bobs), lead).await.0, StatusCode::OK);
	let (status, body) =
		api.call(put.clone(), set, Some(&bobs), Some(json!({"set": null, "default": true}))).await;
	assert_eq!(
		(status, body["field"].as_str()),
		(StatusCode::UNPROCESSABLE_ENTITY, Some("default"))
	);

	// Charlie: the chain denies his reads and he appointed no agent.
	let (status, body) = api.get("/v1/subscribers/carol@ims.example.net", Some(&charlies)).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
	let mut dave = carol();
	dave["subscription"] = json!("dave");
	dave["impis"][0]["identity"] = json!("dave@ims.example.net");
	dave["impus"] = json!([{"identity": "sip:dave@ims.example.net"}]);
	let (status, body) =
		api.call(post.clone(), "/v1/subscribers", Some(&charlies), Some(dave.clone())).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::FORBIDDEN, Some("not_appointed")),
		"{body}"
	);
	let (status, _) = api.get("/v1/subscribers/dave@ims.example.net", Some(&bobs)).await;
	assert_eq!(status, StatusCode::NOT_FOUND, "Charlie's refused subscriber left nothing behind");

	// Creates sent together share calls by author: Bob's two land, each of
	// Charlie's two is refused on its own.
	let line = |name: &str| {
		json!({
			"realm": REALM,
			"subscription": name,
			"impis": [{"identity": format!("{name}@{REALM}"), "password": "secret"}],
			"impus": [{"identity": format!("sip:{name}@{REALM}")}]
		})
	};
	let together = [("erin", &bobs), ("frank", &charlies), ("grace", &bobs), ("heidi", &charlies)];
	let answers = futures::future::join_all(together.iter().map(|(name, token)| {
		api.call(post.clone(), "/v1/subscribers", Some(token), Some(line(name)))
	}))
	.await;
	let codes: Vec<_> = answers
		.iter()
		.map(|(status, body)| (status.as_u16(), body["code"].as_str().unwrap_or("")))
		.collect();
	assert_eq!(codes, [(201, ""), (403, "not_appointed"), (201, ""), (403, "not_appointed")]);
	for name in ["frank", "heidi"] {
		let (status, _) = api.get(&format!("/v1/subscribers/{name}@{REALM}"), Some(&bobs)).await;
		assert_eq!(status, StatusCode::NOT_FOUND, "{name}'s vault entry is gone");
	}

	// Bob loses his role: the chain refuses him, though the bridge's own
	// account (the realm's owner) could still erase Carol.
	let revoke_role = ims::transactions().access().revoke_role(0, account(&bob), Role::Provisioner);
	as_alice(&setup.rpc_url, revoke_role, "Bob's role revoked").await;
	let delete = reqwest::Method::DELETE;
	let carol_path = "/v1/subscribers/carol@ims.example.net";
	let (status, body) = api.call(delete.clone(), carol_path, Some(&bobs), None).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::FORBIDDEN, Some("forbidden")),
		"{body}"
	);
	assert!(body["message"].as_str().unwrap().contains("Identity::NotAuthorized"), "{body}");
	let (status, body) = api.call(post.clone(), "/v1/subscribers", Some(&bobs), Some(dave)).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::FORBIDDEN, Some("forbidden")),
		"{body}"
	);

	// Given back, the erasure goes through; Carol is gone.
	let grant = ims::transactions().access().grant_role(0, account(&bob), Role::Provisioner, None);
	as_alice(&setup.rpc_url, grant, "Bob's role again").await;
	let (status, erased) = api.call(delete, carol_path, Some(&bobs), None).await;
	assert_eq!((status, &erased["pseudonym"]), (StatusCode::OK, &created["pseudonym"]), "{erased}");
	let (status, body) = api.get(carol_path, Some(&bobs)).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_the_document_is_served() {
	let Running { setup, api, port, .. } = &running(100).await;
	let alices = token(setup, "owner", &account(&dev::alice()), &[]);
	let client = &api.client;
	let url = format!("https://{API_HOST}:{port}/v1/subscribers");
	let send = |body: Vec<u8>, media: &'static str| {
		let request = client.post(&url).bearer_auth(&alices).header("content-type", media);
		async move {
			let response = request.body(body).send().await.unwrap();
			let status = response.status();
			(status, response.json::<Value>().await.unwrap())
		}
	};
	let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
		(b"{not json".to_vec(), "application/json", StatusCode::BAD_REQUEST, "malformed"),
		(vec![0xff, 0xfe], "application/json", StatusCode::BAD_REQUEST, "malformed"),
		(b"[]".to_vec(), "application/json", StatusCode::BAD_REQUEST, "malformed"),
		(
			carol().to_string().into_bytes(),
			"text/plain",
			StatusCode::UNSUPPORTED_MEDIA_TYPE,
			"unsupported_media_type",
		),
		(vec![b' '; 2 << 20], "application/json", StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
	];
	for (body, media, status, code) in cases {
		let (got, answer) = send(body, media).await;
		assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{answer}");
	}
	let mut unknown_field = carol();
	unknown_field["colour"] = json!("blue");
	let mut no_realm = carol();
	no_realm["realm"] = json!("nowhere.test");
	let mut no_profile = carol();
	no_profile["impus"][0]["profile"] = json!(77);
	let mut no_password = carol();
	no_password["impis"][0] = json!({"identity": "carol@ims.example.net"});
	for (body, status, code) in [
		(unknown_field, StatusCode::BAD_REQUEST, "malformed"),
		(json!({"realm": 5}), StatusCode::BAD_REQUEST, "malformed"),
		(no_realm, StatusCode::NOT_FOUND, "not_found"),
		(no_profile, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
		(no_password, StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
	] {
		let (got, answer) =
			api.call(reqwest::Method::POST, "/v1/subscribers", Some(&alices), Some(body)).await;
		assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{answer}");
	}
	// The bridge's own account's token signs for itself.
	let (status, created) =
		api.call(reqwest::Method::POST, "/v1/subscribers", Some(&alices), Some(carol())).await;
	assert_eq!(status, StatusCode::CREATED, "{created}");
	let (status, body) = api.get("/v1/nothing", Some(&alices)).await;
	assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
	let (status, body) = api.call(reqwest::Method::PUT, "/v1/realms", Some(&alices), None).await;
	assert_eq!(
		(status, body["code"].as_str()),
		(StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
	);
	let (status, document) = api.get("/openapi.json", None).await;
	assert_eq!(status, StatusCode::OK);
	assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
	assert!(document["paths"]["/v1/subscribers/{identity}"]["delete"].is_object());
	let page = client.get(format!("https://{API_HOST}:{port}/docs")).send().await.unwrap();
	assert_eq!(page.status(), StatusCode::OK);
	assert!(page.text().await.unwrap().contains("DELETE /v1/subscribers/{identity}"));
	// Plain HTTP on the HTTPS port gets no answer in clear.
	let plain =
		reqwest::Client::new().get(format!("http://127.0.0.1:{port}/v1/realms")).send().await;
	assert!(plain.map(|r| r.status() != StatusCode::OK).unwrap_or(true));
}

#[tokio::test]
async fn a_token_beyond_its_rate_is_told_to_wait() {
	let Running { setup, api, .. } = &running(20).await;
	let alices = token(setup, "owner", &account(&dev::alice()), &[]);
	let client = &api.client;
	// 20 a second with a burst of 20: 80 at once run past it.
	let mut limited = None;
	for _ in 0..80 {
		let response = client
			.get(format!("{}/v1/realms/nowhere.test", api.base))
			.bearer_auth(&alices)
			.send()
			.await
			.unwrap();
		if response.status() == StatusCode::TOO_MANY_REQUESTS {
			limited = Some(response);
			break;
		}
	}
	let limited = limited.expect("the token's rate ran out");
	assert_eq!(limited.headers()["retry-after"], "1");
	assert_eq!(limited.json::<Value>().await.unwrap()["code"], "rate_limited");
	tokio::time::sleep(Duration::from_secs(2)).await;
	let (status, _) = api.get("/v1/realms", Some(&alices)).await;
	assert_eq!(status, StatusCode::OK);
}

/// A tool of the Python venv `scripts/setup.sh` fills.
fn python_tool(name: &str) -> std::path::PathBuf {
	let venv = std::env::var_os("IMS_PY_VENV").map(std::path::PathBuf::from).unwrap_or_else(|| {
		std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/ims-ledger/venv")
	});
	let tool = venv.join("bin").join(name);
	assert!(tool.exists(), "{} is missing: run scripts/setup.sh", tool.display());
	tool
}

/// PyPI's `openapi-spec-validator` accepts the served document, and
/// `schemathesis` runs a bounded number of generated requests (valid and
/// not) against every operation of the live API: no answer is a 5xx, and
/// each status, content type and body is one the document declares.
#[tokio::test]
async fn the_document_validates_and_generated_requests_find_no_server_error() {
	let Running { setup, api, port, .. } = &running(10_000).await;
	let alices = token(setup, "fuzz", &account(&dev::alice()), &[]);
	let (status, document) = api.get("/openapi.json", None).await;
	assert_eq!(status, StatusCode::OK);
	let file = setup.dir.path().join("openapi.json");
	std::fs::write(&file, document.to_string()).unwrap();
	let validated = std::process::Command::new(python_tool("openapi-spec-validator"))
		.arg(&file)
		.output()
		.unwrap();
	let said = String::from_utf8_lossy(&validated.stdout).to_string()
		+ &String::from_utf8_lossy(&validated.stderr);
	assert!(validated.status.success(), "openapi-spec-validator: {said}");

	let ca = setup.dir.path().join("api-ca.pem");
	let run = std::process::Command::new(python_tool("schemathesis"))
		.arg("run")
		.arg(&file)
		.args(["--url", &format!("https://{API_HOST}:{port}")])
		.args(["--header", &format!("Authorization: Bearer {alices}")])
		.arg("--tls-verify")
		.arg(&ca)
		.args(["--checks", "not_a_server_error,status_code_conformance"])
		.args(["--checks", "content_type_conformance,response_schema_conformance"])
		.args(["--phases", "examples,coverage,fuzzing", "--max-examples", "25"])
		.args(["--max-time", "150", "--request-timeout", "60"])
		// Once in CI (2026-12-06) one request of 20,171 met a connection
		// ended under it (an SSL EOF, nothing in the bridge's log), as when
		// a kept-alive connection the listener closes after its idle
		// deadline is taken from the client's pool just then: a transport
		// race HTTP clients retry. A request the bridge itself breaks fails
		// every retry, and still fails the test.
		.args(["--request-retries", "2"])
		.args(["--seed", "20261205", "--workers", "2"])
		// Its cache goes to the working directory: the test's own.
		.current_dir(setup.dir.path())
		.env("SCHEMATHESIS_TELEMETRY", "false")
		.env("NO_COLOR", "1")
		.output()
		.unwrap();
	let said =
		String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
	assert!(run.status.success(), "schemathesis found failures:\n{said}");
	assert!(said.contains("passed"), "{said}");
}

/// The API's create rate (`scripts/bench.sh api`): `BENCH_API_SUBSCRIBERS`
/// subscribers (default 200) created by `BENCH_API_CLIENTS` clients at once
/// (default 16), each POST answered once its subscriber is finalized on
/// chain; prints the rate and the latency percentiles. A benchmark,
/// ignored by `cargo test`; method in docs/benchmarks.md.
#[tokio::test]
#[ignore]
async fn api_create_rate() {
	let env = |name: &str, default: usize| {
		std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
	};
	let (total, clients) = (env("BENCH_API_SUBSCRIBERS", 200), env("BENCH_API_CLIENTS", 16));
	let Running { setup, api, .. } = &running(1_000_000).await;
	let alices = token(setup, "bench", &account(&dev::alice()), &[]);
	let next = std::sync::atomic::AtomicUsize::new(0);
	let started = std::time::Instant::now();
	let workers = (0..clients).map(|_| async {
		let mut latencies = Vec::new();
		loop {
			let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
			if n >= total {
				return latencies;
			}
			let line = json!({
				"realm": REALM,
				"subscription": format!("bench{n}"),
				"impis": [{"identity": format!("bench{n}@{REALM}"), "password": "bench-secret"}],
				"impus": [{"identity": format!("sip:bench{n}@{REALM}")}]
			});
			let sent = std::time::Instant::now();
			let (status, body) =
				api.call(reqwest::Method::POST, "/v1/subscribers", Some(&alices), Some(line)).await;
			assert_eq!(status, StatusCode::CREATED, "{body}");
			latencies.push(sent.elapsed());
		}
	});
	let mut latencies: Vec<Duration> =
		futures::future::join_all(workers).await.into_iter().flatten().collect();
	let elapsed = started.elapsed();
	latencies.sort();
	let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
	println!(
		"API create: {total} subscribers by {clients} clients in {:.1} s: {:.2}/s; \
		 latency p50 {:.2} s, p99 {:.2} s, max {:.2} s",
		elapsed.as_secs_f64(),
		total as f64 / elapsed.as_secs_f64(),
		at(0.5).as_secs_f64(),
		at(0.99).as_secs_f64(),
		latencies.last().unwrap().as_secs_f64()
	);
}
