//! The User-Data of a SAA: the IMS subscription XML of 3GPP TS 29.228
//! annex B (`IMSSubscription`), as Kamailio's S-CSCF reads it.
//!
//! Every public identity of the implicit set appears, under the service
//! profile it uses, with its barring indication; each profile carries its
//! initial filter criteria with the shared iFC sets already resolved by the
//! runtime (so the S-CSCF needs no shared-set configuration). Element order
//! follows the schema: `BarringIndication`, `Identity`, `Extension` inside
//! `PublicIdentity`.

use ims_primitives::{
	DefaultHandling, ImpuId, ProfilePart, ServerAssignmentView, SessionCase, SptCondition,
	TriggerPoint,
};
use std::fmt::Write;

/// Escapes text for XML content.
fn escape(text: &[u8]) -> String {
	let text = String::from_utf8_lossy(text);
	let mut out = String::with_capacity(text.len());
	for c in text.chars() {
		match c {
			'&' => out.push_str("&amp;"),
			'<' => out.push_str("&lt;"),
			'>' => out.push_str("&gt;"),
			'"' => out.push_str("&quot;"),
			'\'' => out.push_str("&apos;"),
			c => out.push(c),
		}
	}
	out
}

fn session_case(case: SessionCase) -> u8 {
	match case {
		SessionCase::Originating => 0,
		SessionCase::TerminatingRegistered => 1,
		SessionCase::TerminatingUnregistered => 2,
		SessionCase::OriginatingUnregistered => 3,
		SessionCase::OriginatingCdiv => 4,
	}
}

fn trigger_point(out: &mut String, tp: &TriggerPoint) {
	let _ = write!(
		out,
		"<TriggerPoint><ConditionTypeCNF>{}</ConditionTypeCNF>",
		u8::from(tp.condition_type_cnf)
	);
	for spt in tp.spts.iter() {
		let _ = write!(out, "<SPT><ConditionNegated>{}</ConditionNegated>", u8::from(spt.negated));
		if spt.groups.is_empty() {
			out.push_str("<Group>0</Group>");
		}
		for group in spt.groups.iter() {
			let _ = write!(out, "<Group>{group}</Group>");
		}
		match &spt.condition {
			SptCondition::RequestUri(uri) => {
				let _ = write!(out, "<RequestURI>{}</RequestURI>", escape(uri));
			},
			SptCondition::Method(method) => {
				let _ = write!(out, "<Method>{}</Method>", escape(method));
			},
			SptCondition::SipHeader { header, content } => {
				let _ = write!(out, "<SIPHeader><Header>{}</Header>", escape(header));
				if let Some(content) = content {
					let _ = write!(out, "<Content>{}</Content>", escape(content));
				}
				out.push_str("</SIPHeader>");
			},
			SptCondition::SessionCase(case) => {
				let _ = write!(out, "<SessionCase>{}</SessionCase>", session_case(*case));
			},
			SptCondition::SessionDescription { line, content } => {
				let _ = write!(out, "<SessionDescription><Line>{}</Line>", escape(line));
				if let Some(content) = content {
					let _ = write!(out, "<Content>{}</Content>", escape(content));
				}
				out.push_str("</SessionDescription>");
			},
		}
		out.push_str("</SPT>");
	}
	out.push_str("</TriggerPoint>");
}

/// The `IMSSubscription` document for a SAA: `private_identity` is the
/// IMPI in clear, `view` the runtime's view of the requested identity, and
/// `identity_of` gives the cleartext of each implicit-set member's
/// pseudonym (from the vault). Members whose cleartext is unknown are left
/// out rather than sent as pseudonyms.
pub fn ims_subscription<'a>(
	private_identity: &str,
	view: &ServerAssignmentView,
	identity_of: impl Fn(&ImpuId) -> Option<&'a str>,
) -> String {
	let mut out = String::with_capacity(1024);
	out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
	out.push_str("<IMSSubscription>");
	let _ = write!(out, "<PrivateID>{}</PrivateID>", escape(private_identity.as_bytes()));
	for profile in &view.profiles {
		out.push_str("<ServiceProfile>");
		for identity in &profile.identities {
			let Some(text) = identity_of(&identity.impu) else { continue };
			let _ = write!(
				out,
				"<PublicIdentity><BarringIndication>{}</BarringIndication><Identity>{}</Identity></PublicIdentity>",
				u8::from(identity.barred),
				escape(text.as_bytes())
			);
		}
		if let Some(media) = profile.subscribed_media_profile {
			let _ = write!(
				out,
				"<CoreNetworkServicesAuthorization><SubscribedMediaProfileId>{media}</SubscribedMediaProfileId></CoreNetworkServicesAuthorization>"
			);
		}
		for ifc in &profile.ifcs {
			let _ = write!(out, "<InitialFilterCriteria><Priority>{}</Priority>", ifc.priority);
			if let Some(tp) = &ifc.trigger_point {
				trigger_point(&mut out, tp);
			}
			let server = &ifc.application_server;
			let _ = write!(
				out,
				"<ApplicationServer><ServerName>{}</ServerName><DefaultHandling>{}</DefaultHandling>",
				escape(&server.server_name),
				match server.default_handling {
					DefaultHandling::SessionContinued => 0,
					DefaultHandling::SessionTerminated => 1,
				}
			);
			if let Some(info) = &server.service_info {
				let _ = write!(out, "<ServiceInfo>{}</ServiceInfo>", escape(info));
			}
			if server.include_register_request || server.include_register_response {
				out.push_str("<Extension>");
				if server.include_register_request {
					out.push_str("<IncludeRegisterRequest/>");
				}
				if server.include_register_response {
					out.push_str("<IncludeRegisterResponse/>");
				}
				out.push_str("</Extension>");
			}
			out.push_str("</ApplicationServer>");
			if let Some(part) = ifc.profile_part {
				let _ = write!(
					out,
					"<ProfilePartIndicator>{}</ProfilePartIndicator>",
					match part {
						ProfilePart::Registered => 0,
						ProfilePart::Unregistered => 1,
					}
				);
			}
			out.push_str("</InitialFilterCriteria>");
		}
		out.push_str("</ServiceProfile>");
	}
	out.push_str("</IMSSubscription>");
	out
}

#[cfg(test)]
mod tests {
	use super::*;
	use ims_primitives::{
		ApplicationServer, IfcView, ImpuKind, Name, ProfileView, PublicIdentityView,
		ServicePointTrigger, Text, Token,
	};

	fn name(text: &str) -> Name {
		Name::truncate_from(text.as_bytes().to_vec())
	}

	#[test]
	fn the_document_lists_the_implicit_set_under_its_profiles_with_ifcs() {
		let mut view = crate::index::tests::view(1, &[1, 2, 3], 1);
		view.profiles[0].identities[1].barred = true;
		view.profiles[0].subscribed_media_profile = Some(4);
		view.profiles[0].ifcs = vec![IfcView {
			priority: 3,
			trigger_point: Some(TriggerPoint {
				condition_type_cnf: false,
				spts: vec![
					ServicePointTrigger {
						negated: false,
						groups: vec![0, 1].try_into().unwrap(),
						condition: SptCondition::Method(Token::truncate_from(b"INVITE".to_vec())),
					},
					ServicePointTrigger {
						negated: true,
						groups: Default::default(),
						condition: SptCondition::SipHeader {
							header: Token::truncate_from(b"From".to_vec()),
							content: Some(Text::truncate_from(b"\"<sip:a&b>\"".to_vec())),
						},
					},
					ServicePointTrigger {
						negated: false,
						groups: vec![1].try_into().unwrap(),
						condition: SptCondition::SessionCase(SessionCase::TerminatingUnregistered),
					},
				]
				.try_into()
				.unwrap(),
			}),
			application_server_id: 1,
			application_server: ApplicationServer {
				server_name: name("sip:as.ims.test:5070"),
				default_handling: DefaultHandling::SessionTerminated,
				service_info: Some(Text::truncate_from(b"vm".to_vec())),
				include_register_request: true,
				include_register_response: false,
			},
			profile_part: Some(ProfilePart::Registered),
		}];
		// A second profile used by a fourth member.
		view.profiles.push(ProfileView {
			id: 8,
			name: name("other"),
			identities: vec![PublicIdentityView {
				impu: ImpuId::repeat_byte(4),
				kind: ImpuKind::PublicIdentity,
				barred: false,
			}],
			ifcs: vec![],
			shared_ifc_sets: vec![],
			subscribed_media_profile: None,
		});
		let names = |id: &ImpuId| match id.as_bytes()[0] {
			1 => Some("sip:alice@ims.test"),
			2 => Some("tel:+15550100"),
			4 => Some("sip:alice-work@ims.test"),
			_ => None,
		};
		let xml = ims_subscription("alice@ims.test", &view, names);
		assert_eq!(
			xml,
			concat!(
				"<?xml version=\"1.0\" encoding=\"UTF-8\"?><IMSSubscription>",
				"<PrivateID>alice@ims.test</PrivateID>",
				"<ServiceProfile>",
				"<PublicIdentity><BarringIndication>0</BarringIndication><Identity>sip:alice@ims.test</Identity></PublicIdentity>",
				"<PublicIdentity><BarringIndication>1</BarringIndication><Identity>tel:+15550100</Identity></PublicIdentity>",
				"<CoreNetworkServicesAuthorization><SubscribedMediaProfileId>4</SubscribedMediaProfileId></CoreNetworkServicesAuthorization>",
				"<InitialFilterCriteria><Priority>3</Priority>",
				"<TriggerPoint><ConditionTypeCNF>0</ConditionTypeCNF>",
				"<SPT><ConditionNegated>0</ConditionNegated><Group>0</Group><Group>1</Group><Method>INVITE</Method></SPT>",
				"<SPT><ConditionNegated>1</ConditionNegated><Group>0</Group><SIPHeader><Header>From</Header>",
				"<Content>&quot;&lt;sip:a&amp;b&gt;&quot;</Content></SIPHeader></SPT>",
				"<SPT><ConditionNegated>0</ConditionNegated><Group>1</Group><SessionCase>2</SessionCase></SPT>",
				"</TriggerPoint>",
				"<ApplicationServer><ServerName>sip:as.ims.test:5070</ServerName><DefaultHandling>1</DefaultHandling>",
				"<ServiceInfo>vm</ServiceInfo><Extension><IncludeRegisterRequest/></Extension></ApplicationServer>",
				"<ProfilePartIndicator>0</ProfilePartIndicator></InitialFilterCriteria>",
				"</ServiceProfile>",
				"<ServiceProfile>",
				"<PublicIdentity><BarringIndication>0</BarringIndication><Identity>sip:alice-work@ims.test</Identity></PublicIdentity>",
				"</ServiceProfile>",
				"</IMSSubscription>"
			)
		);
	}

	#[test]
	fn text_is_escaped() {
		assert_eq!(escape(b"a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
	}
}
