//! The answers the peer layer builds itself: CEA and its refusals, DWA and
//! DPA, DPR, refusals of requests the application does not serve, and the
//! common AVPs every Cx answer starts with.

use super::limits::ConnectionSlot;
use super::transport::{Transport, Unfit};
use super::{Context, LocalIdentity, PeerInfo};
use crate::diameter::codec::{flags, Avp, Header, Message};
use crate::diameter::dict::{self, avp, command, result, APP_COMMON, APP_CX, VENDOR_3GPP};
use std::net::SocketAddr;

/// What every Cx answer starts with: the request's identifiers and
/// Session-Id, the VSAI, Auth-Session-State and our Origin-Host/Realm.
pub fn answer_for(local: &LocalIdentity, request: &Message) -> Message {
	let mut answer = Message::answer_to(&request.header);
	if let Some(session) = request.find(&avp::SESSION_ID) {
		answer.push(session.clone());
	}
	answer
		.with(vsai())
		.with(Avp::u32_of(&avp::AUTH_SESSION_STATE, dict::NO_STATE_MAINTAINED))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
}

/// Vendor-Specific-Application-Id {10415, Cx}.
pub fn vsai() -> Avp {
	Avp::grouped_of(
		&avp::VENDOR_SPECIFIC_APPLICATION_ID,
		vec![
			Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
			Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX),
		],
	)
}

/// An error answer: our identity, Result-Code, Failed-AVP and
/// Error-Message; the E bit for protocol errors (3xxx).
pub fn error_answer(
	local: &LocalIdentity,
	header: &Header,
	session: Option<&Avp>,
	code: u32,
	failed: Option<Avp>,
	message: &str,
) -> Message {
	let mut answer = Message::answer_to(header);
	if (3000..4000).contains(&code) {
		answer.header.flags |= flags::ERROR;
	}
	if let Some(session) = session {
		answer.push(session.clone());
	}
	answer
		.push(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.push(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
		.push(Avp::u32_of(&avp::RESULT_CODE, code));
	if let Some(failed) = failed {
		answer.push(Avp::grouped_of(&avp::FAILED_AVP, vec![failed]));
	}
	if !message.is_empty() {
		answer.push(Avp::utf8_of(&avp::ERROR_MESSAGE, message));
	}
	answer
}

/// The answer to a CER and, when accepted, the peer and the connection it
/// takes of its own.
pub(super) fn capabilities_exchange<A>(
	ctx: &Context<A>,
	cer: &Message,
	address: SocketAddr,
	transport: &Transport,
) -> (Message, Result<(PeerInfo, ConnectionSlot), u32>) {
	let local = &ctx.local;
	let refuse = |code: u32, message: &str, failed: Option<Avp>| {
		(error_answer(local, &cer.header, None, code, failed, message), Err(code))
	};
	let (origin_host, origin_realm) =
		match (cer.required_utf8(&avp::ORIGIN_HOST), cer.required_utf8(&avp::ORIGIN_REALM)) {
			(Ok(host), Ok(realm)) => (host.to_string(), realm.to_string()),
			(Err(e), _) | (_, Err(e)) => {
				return refuse(e.result_code(), &e.to_string(), Some(e.failed_avp()))
			},
		};
	let found = ctx.policy.find(&origin_host, address.ip());
	let Some((allowed, limits)) =
		found.and_then(|i| Some((ctx.policy.allowed.get(i)?, ctx.limits.get(i)?)))
	else {
		tracing::warn!(%address, %origin_host, "CER from a peer that is not allowed");
		return refuse(result::UNKNOWN_PEER, "peer not allowed", None);
	};
	if !allowed.origin_realm.eq_ignore_ascii_case(&origin_realm) {
		tracing::warn!(%address, %origin_host, %origin_realm, "CER from an allowed peer in another realm");
		return refuse(result::UNKNOWN_PEER, "peer not allowed in this realm", None);
	}
	if let Err(unfit) = transport.admits(allowed, address.ip()) {
		tracing::warn!(%address, %origin_host, reason = %unfit, "CER over a transport the peer may not use");
		let code = match unfit {
			Unfit::Plain => result::NO_COMMON_SECURITY,
			Unfit::OtherName(_) => result::UNKNOWN_PEER,
		};
		return refuse(code, &unfit.to_string(), None);
	}
	if !advertises_cx(cer) {
		tracing::warn!(%address, %origin_host, "CER without the Cx application");
		return refuse(
			result::NO_COMMON_APPLICATION,
			"Cx (16777216, vendor 10415) is not advertised",
			None,
		);
	}
	let Some(slot) = limits.open() else {
		let max = allowed.max_connections;
		tracing::warn!(%address, %origin_host, max, "CER from a peer with all its connections open");
		return refuse(result::UNABLE_TO_COMPLY, "the peer has all the connections it may", None);
	};
	let cea = Message::answer_to(&cer.header)
		.with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
		.with(Avp::address_of(&avp::HOST_IP_ADDRESS, local.host_ip))
		.with(Avp::u32_of(&avp::VENDOR_ID, 0))
		.with(Avp::utf8_of(&avp::PRODUCT_NAME, &local.product_name))
		.with(Avp::u32_of(&avp::SUPPORTED_VENDOR_ID, VENDOR_3GPP))
		.with(Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX))
		.with(vsai())
		.with(Avp::u32_of(&avp::FIRMWARE_REVISION, firmware_revision()));
	let role = allowed.role.clone();
	(cea, Ok((PeerInfo { origin_host, origin_realm, address, role }, slot)))
}

/// The refusal (5004, with the AVP at fault) of a request whose
/// Origin-Host or Origin-Realm is not the one its sender presented in its
/// CER: a peer speaks for itself only. A missing one is left to the
/// application, which refuses it as any missing AVP.
pub(super) fn origin_mismatch(
	local: &LocalIdentity,
	peer: &PeerInfo,
	request: &Message,
) -> Option<Message> {
	let expected =
		[(&avp::ORIGIN_HOST, &peer.origin_host), (&avp::ORIGIN_REALM, &peer.origin_realm)];
	let (sent, _) = expected.into_iter().find_map(|(code, value)| {
		let sent = request.find(code)?;
		let matches = sent.utf8(code).is_ok_and(|v| v.eq_ignore_ascii_case(value));
		(!matches).then_some((sent, value))
	})?;
	Some(error_answer(
		local,
		&request.header,
		request.find(&avp::SESSION_ID),
		result::INVALID_AVP_VALUE,
		Some(sent.clone()),
		"not the Origin-Host and Origin-Realm of the capabilities exchange",
	))
}

/// The crate version as Firmware-Revision (major * 10000 + minor * 100 + patch).
fn firmware_revision() -> u32 {
	let part = |s: &str| s.parse::<u32>().unwrap_or(0);
	part(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
		+ part(env!("CARGO_PKG_VERSION_MINOR")) * 100
		+ part(env!("CARGO_PKG_VERSION_PATCH"))
}

/// Whether a CER offers Cx (directly, in a VSAI, or as a relay).
fn advertises_cx(cer: &Message) -> bool {
	const RELAY: u32 = 0xffff_ffff;
	let offers = |avps: &[Avp]| {
		avps.iter().any(|a| {
			(a.is(&avp::AUTH_APPLICATION_ID) || a.is(&avp::ACCT_APPLICATION_ID))
				&& matches!(a.u32(&avp::AUTH_APPLICATION_ID), Ok(APP_CX | RELAY))
		})
	};
	offers(&cer.avps)
		|| cer
			.find_all(&avp::VENDOR_SPECIFIC_APPLICATION_ID)
			.any(|vsai| vsai.children(&avp::VENDOR_SPECIFIC_APPLICATION_ID).is_ok_and(offers))
}

/// The refusal of an application request we cannot serve, if any.
pub(super) fn refuse(local: &LocalIdentity, request: &Message) -> Option<Message> {
	let header = &request.header;
	let session = request.find(&avp::SESSION_ID);
	if header.application != APP_CX {
		return Some(error_answer(
			local,
			header,
			session,
			result::APPLICATION_UNSUPPORTED,
			None,
			"only Cx (16777216) is served",
		));
	}
	if !matches!(
		header.command,
		command::USER_AUTHORIZATION
			| command::SERVER_ASSIGNMENT
			| command::LOCATION_INFO
			| command::MULTIMEDIA_AUTH
	) {
		return Some(error_answer(
			local,
			header,
			session,
			result::COMMAND_UNSUPPORTED,
			None,
			"command not served",
		));
	}
	request.unsupported_mandatory().map(|unknown| {
		let failed = Some(unknown.clone());
		error_answer(
			local,
			header,
			session,
			result::AVP_UNSUPPORTED,
			failed,
			"unsupported mandatory AVP",
		)
	})
}

/// The DWA or DPA to `request`: success and who we are.
pub(super) fn watchdog_or_disconnect_answer(local: &LocalIdentity, request: &Header) -> Message {
	Message::answer_to(request)
		.with(Avp::u32_of(&avp::RESULT_CODE, result::SUCCESS))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
}

/// Our DWR with end-to-end and hop-by-hop `id`.
pub(super) fn watchdog_request(local: &LocalIdentity, id: u32) -> Message {
	let mut dwr = Message::request(command::DEVICE_WATCHDOG, APP_COMMON, id, id)
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm));
	// DWR is not proxiable.
	dwr.header.flags = flags::REQUEST;
	dwr
}

/// Our DPR (cause: rebooting) with end-to-end and hop-by-hop `id`.
pub(super) fn disconnect_request(local: &LocalIdentity, id: u32) -> Message {
	let mut dpr = Message::request(command::DISCONNECT_PEER, APP_COMMON, id, id)
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, &local.origin_host))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, &local.origin_realm))
		.with(Avp::u32_of(&avp::DISCONNECT_CAUSE, dict::disconnect_cause::REBOOTING));
	// DPR is not proxiable.
	dpr.header.flags = flags::REQUEST;
	dpr
}
