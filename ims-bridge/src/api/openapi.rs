//! The API's OpenAPI 3.1 document, generated from the handlers and types
//! (utoipa), at `/openapi.json`, and a page of it at `/docs` rendered here
//! from the same document: plain HTML, no script and nothing fetched from
//! elsewhere, so it reads the same on an operator's offline network.

use super::ErrorBody;
use super::{consents, credentials, impu_add, impus, realms, registration, roaming, subscribers};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
	info(
		title = "ims-bridge provisioning API",
		description = "Provision IMS subscribers on the IMS ledger. Each token acts for an on-chain \
			account, whose roles the chain checks (docs/provisioning-api.md)."
	),
	paths(
		realms::list,
		realms::get,
		subscribers::create,
		subscribers::get,
		subscribers::delete,
		impus::barring,
		impus::profile,
		roaming::roaming,
		roaming::implicit_set,
		credentials::put,
		consents::list,
		consents::grant,
		consents::withdraw,
		registration::delete,
		impu_add::post
	),
	components(schemas(ErrorBody, subscribers::Erased)),
	modifiers(&BearerTokens),
	tags(
		(name = "realms", description = "The chain's realms"),
		(name = "subscribers", description = "Subscribers: identities and secrets"),
		(name = "consents", description = "Subscribers' lawful bases for processing purposes"),
	)
)]
struct ApiDoc;

/// The `token` security scheme: `Authorization: Bearer imsb_...`.
struct BearerTokens;

impl Modify for BearerTokens {
	fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
		let components = openapi.components.get_or_insert_with(Default::default);
		components
			.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
	}
}

/// The document, serialised once.
fn document() -> &'static str {
	static DOCUMENT: OnceLock<String> = OnceLock::new();
	DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

/// `GET /openapi.json`.
pub async fn json() -> impl IntoResponse {
	([(header::CONTENT_TYPE, "application/json")], document())
}

/// `GET /docs`.
pub async fn page() -> Html<String> {
	static PAGE: OnceLock<String> = OnceLock::new();
	let page = PAGE.get_or_init(|| {
		let value = serde_json::from_str(document()).unwrap_or(Value::Null);
		render(&value)
	});
	Html(page.clone())
}

fn escape(text: &str) -> String {
	text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
	value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A schema's type, in a few words: its `$ref` name, or its type (of
/// items, for arrays).
fn kind(schema: &Value) -> String {
	if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
		let name = reference.rsplit('/').next().unwrap_or(reference);
		return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
	}
	if let Some(items) = schema.get("items") {
		return format!("array of {}", kind(items));
	}
	for key in ["oneOf", "anyOf", "allOf"] {
		if let Some(Value::Array(options)) = schema.get(key) {
			return options.iter().map(kind).collect::<Vec<_>>().join(" or ");
		}
	}
	match schema.get("type") {
		Some(Value::Array(types)) => {
			types.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or ")
		},
		Some(Value::String(single)) => single.clone(),
		_ => "any".into(),
	}
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
	let _ = write!(out, "<h3><code>{} {}</code></h3>", method.to_uppercase(), escape(path));
	let _ = write!(out, "<p>{}</p>", escape(text(op, "description")));
	if let Some(Value::Array(parameters)) = op.get("parameters") {
		out.push_str("<p>Parameters:</p><ul>");
		for p in parameters {
			let _ = write!(
				out,
				"<li><code>{}</code> ({}): {}</li>",
				escape(text(p, "name")),
				escape(text(p, "in")),
				escape(text(p, "description"))
			);
		}
		out.push_str("</ul>");
	}
	if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
		let _ = write!(out, "<p>Body: {}</p>", kind(body));
	}
	if let Some(Value::Object(responses)) = op.get("responses") {
		out.push_str("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>");
		for (status, response) in responses {
			let body =
				response.pointer("/content/application~1json/schema").map(kind).unwrap_or_default();
			let _ = write!(
				out,
				"<tr><td>{}</td><td>{}</td><td>{body}</td></tr>",
				escape(status),
				escape(text(response, "description"))
			);
		}
		out.push_str("</table>");
	}
}

fn schema(out: &mut String, name: &str, schema: &Value) {
	let _ = write!(out, "<h3 id=\"schema-{0}\">{0}</h3>", escape(name));
	let _ = write!(out, "<p>{}</p>", escape(text(schema, "description")));
	let required: Vec<&str> = match schema.get("required") {
		Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
		_ => Vec::new(),
	};
	if let Some(Value::Object(properties)) = schema.get("properties") {
		out.push_str(
			"<table><tr><th>field</th><th>type</th><th>required</th><th>meaning</th></tr>",
		);
		for (field, property) in properties {
			let _ = write!(
				out,
				"<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
				escape(field),
				kind(property),
				if required.contains(&field.as_str()) { "yes" } else { "" },
				escape(text(property, "description"))
			);
		}
		out.push_str("</table>");
	} else {
		let _ = write!(out, "<p>Type: {}</p>", kind(schema));
	}
}

/// The page: every operation, then every schema.
fn render(doc: &Value) -> String {
	let title = escape(doc.pointer("/info/title").and_then(Value::as_str).unwrap_or("API"));
	let mut out = format!(
		"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>\
		 body{{font-family:sans-serif;max-width:60em;margin:auto}}table{{border-collapse:collapse}}\
		 td,th{{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}}\
		 </style></head><body><h1>{title}</h1><p>{}</p><p>The machine-readable document: \
		 <a href=\"/openapi.json\">/openapi.json</a>.</p><h2>Operations</h2>",
		escape(doc.pointer("/info/description").and_then(Value::as_str).unwrap_or(""))
	);
	if let Some(Value::Object(paths)) = doc.get("paths") {
		for (path, item) in paths {
			for method in ["get", "post", "put", "patch", "delete"] {
				if let Some(op) = item.get(method) {
					operation(&mut out, method, path, op);
				}
			}
		}
	}
	out.push_str("<h2>Schemas</h2>");
	if let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") {
		for (name, value) in schemas {
			schema(&mut out, name, value);
		}
	}
	out.push_str("</body></html>");
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_document_is_openapi_3_1_and_the_page_lists_every_operation() {
		let doc: Value = serde_json::from_str(document()).unwrap();
		assert!(text(&doc, "openapi").starts_with("3.1"), "{}", text(&doc, "openapi"));
		let page = render(&doc);
		let mut ids = std::collections::HashSet::new();
		for (path, item) in doc["paths"].as_object().unwrap() {
			for (method, op) in item.as_object().unwrap() {
				let heading = format!("{} {}", method.to_uppercase(), escape(path));
				assert!(page.contains(&heading), "{heading} is on the page");
				assert!(
					ids.insert(text(op, "operationId").to_string()),
					"{heading}'s id is unique"
				);
			}
		}
		assert!(page.contains("id=\"schema-SubscriberView\""));
		assert!(
			!page.contains("<script") && !page.contains("http://") && !page.contains("https://")
		);
	}
}
