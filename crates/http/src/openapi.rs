//! The parts of the OpenAPI document that no single handler owns: the `error.list` body, the error
//! statuses every operation can answer — the ones the API's middleware and extractors produce
//! whatever the handler (docs/API.md, "Responses and errors") — the schema of body ids, and the
//! "at least one of" rules of a few bodies. Handlers document their own success statuses and the
//! errors with a specific code (`404 tag_not_found`); [`add_standard_errors`] completes each
//! operation with the rest, so the document lists every status the server sends (checked by
//! tests/conformance/run.sh, docs/CONFORMANCE.md).
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayBuilder, ArrayItems, KnownFormat, Object, ObjectBuilder,
    OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// The schema name of the error body, `#/components/schemas/ErrorList`.
const ERROR_LIST: &str = "ErrorList";

/// Who can receive a standard error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Applies {
    /// Every operation under `/api` (middleware: `Intercom-Version`, rate limit; query strings).
    All,
    /// Operations that need a credential.
    Authenticated,
    /// Operations that name a resource (a path parameter) or refer to others in a body.
    Addressed,
    /// Operations that write (POST, PUT, PATCH, DELETE): a duplicate name or external id.
    Writes,
    /// Operations that take a request body.
    WithBody,
}

/// The standard errors: status, the codes it carries, and which operations can answer it.
const STANDARD_ERRORS: &[(&str, &str, Applies)] = &[
    ("400", "bad_request, parameter_invalid, parameter_not_found or intercom_version_invalid", Applies::All),
    ("401", "unauthorized: no valid token or session", Applies::Authenticated),
    ("403", "forbidden: the role does not allow it, or a session without its CSRF token", Applies::Authenticated),
    ("404", "not_found (or the resource's own code)", Applies::Addressed),
    ("409", "conflict: a duplicate name, email or external id", Applies::Writes),
    ("413", "request_too_large: the body is over --max-body-bytes", Applies::WithBody),
    ("415", "unsupported_media_type: the body is not application/json", Applies::WithBody),
    ("429", "rate_limit_exceeded (with Retry-After)", Applies::All),
];

/// Request bodies that need at least one of some optional fields (the handlers answer `400
/// parameter_not_found` without one): the schema says so with `anyOf` branches that each require
/// one of them, not null.
const AT_LEAST_ONE_OF: &[(&str, &[&str])] = &[
    ("CreateEventRequest", &["user_id", "id", "email"]),
    ("SummariesRequest", &["user_id", "id", "email"]),
    ("CompanyItem", &["id", "company_id"]),
    ("CreateContactRequest", &["email", "external_id", "role"]),
    ("CreateSlaPolicyRequest", &["first_response_seconds", "next_response_seconds", "time_to_close_seconds"]),
];

/// Request schemas shared by a create and an update whose create needs more: `(method and path of
/// the create, shared schema, the create's own schema name, fields the create requires)`. The
/// create gets a copy of the shared schema with those fields required and not null.
const CREATE_SCHEMAS: &[(&str, &str, &str, &[&str])] = &[
    ("post /companies", "CompanyRequest", "CreateCompanyRequest", &["company_id"]),
    ("post /teams", "TeamRequest", "CreateTeamRequest", &["name"]),
    ("post /sla_policies", "SlaPolicyRequest", "CreateSlaPolicyRequest", &["name"]),
    ("post /saved_replies", "SavedReplyRequest", "CreateSavedReplyRequest", &["name", "body"]),
    ("post /saved_replies/preview", "RenderRequest", "PreviewRequest", &["body"]),
    // At least one of email, external_id or role: AT_LEAST_ONE_OF.
    ("post /contacts", "ContactRequest", "CreateContactRequest", &[]),
];

/// An email address as `rapport_core::contact::Email::parse` takes it, in ASCII: 1 to 64
/// characters, `@`, dot-separated labels; no spaces, controls or `<>()[]\\,;:"`.
const EMAIL_PATTERN: &str = concat!(
    "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@",
    "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$"
);

/// A calendar day as `rapport_core::office_hours::parse_holidays` takes it (`%Y-%m-%d`).
const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// Patterns the derive cannot put where they belong (on an array's items, on a field whose type
/// is named after the wire): `(schema, property, pattern, maxLength, format)`. On an array, the
/// items'.
type PatternRule = (&'static str, &'static str, &'static str, usize, Option<KnownFormat>);
const PATTERNS: &[PatternRule] = &[
    ("ContactRequest", "email", EMAIL_PATTERN, 254, None),
    ("UpdateEmailSettings", "support_addresses", EMAIL_PATTERN, 254, None),
    ("SettingsRequest", "holidays", DATE_PATTERN, 10, Some(KnownFormat::Date)),
    ("OfficeHoursRequest", "holidays", DATE_PATTERN, 10, Some(KnownFormat::Date)),
];

/// The names of a multipart form's parts travel in a quoted header parameter (RFC 7578), which
/// cannot hold control characters or a double quote: the upload form's other parts (ignored) have
/// names without them.
const PART_NAME_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f\"]*$";

/// Properties of the create schemas ([`CREATE_SCHEMAS`]) that need a schema of their own.
type PropertySchema = (&'static str, &'static str, fn() -> Schema);
const PROPERTY_SCHEMAS: &[PropertySchema] = &[("CreateCompanyRequest", "company_id", text_id)];

/// Links from a create's answer to the operations on what it created: `(method and path of the
/// create, status, operationId of the target, path parameter, the answer's field, the target's
/// body)`. Tools infer them otherwise from field names, and a company's answer has two ids:
/// `company_id` (the customer's) and `id` (ours, the one `/companies/{id}` and
/// `/contacts/{id}/companies/{company_id}` take). The update
/// sends the create's `company_id` back (what schemathesis infers, so it adds no link of its own).
type LinkRule =
    (&'static str, &'static str, &'static str, &'static str, &'static str, Option<(&'static str, &'static str)>);
const LINKS: &[LinkRule] = &[
    ("post /companies", "200", "find_company", "id", "id", None),
    ("post /companies", "200", "update_company", "id", "id", Some(("company_id", "$request.body#/company_id"))),
    ("post /companies", "200", "delete_company", "id", "id", None),
    ("post /companies", "200", "company_contacts", "id", "id", None),
    ("post /companies", "200", "detach_contact", "company_id", "id", None),
];

/// Adds the `ErrorList` schema, gives every documented error status that body, and adds the
/// standard errors an operation can answer but does not list. Also keeps query parameters
/// honest: a query string cannot carry `null`, so optional parameters are not nullable.
pub fn add_standard_errors(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    components.schemas.insert(ERROR_LIST.to_string(), error_list_schema());
    // `extract::BodyId` derives a string schema; on the wire it is a string or an integer.
    components.schemas.insert("BodyId".to_string(), RefOr::T(body_id()));
    for (name, field, pattern, max_length, format) in PATTERNS {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*name) else { continue };
        let property = match object.properties.get_mut(*field) {
            Some(RefOr::T(Schema::Array(array))) => match &mut array.items {
                ArrayItems::RefOrSchema(items) => items.as_mut(),
                ArrayItems::False => continue,
            },
            Some(property) => property,
            None => continue,
        };
        if let RefOr::T(Schema::Object(property)) = property {
            property.pattern = Some(pattern.to_string());
            property.max_length = Some(*max_length);
            if let Some(format) = format {
                property.format = Some(SchemaFormat::KnownFormat(format.clone()));
            }
        }
    }
    if let Some(RefOr::T(Schema::Object(form))) = components.schemas.get_mut("UploadForm") {
        let name = ObjectBuilder::new().schema_type(Type::String).pattern(Some(PART_NAME_PATTERN));
        form.property_names = Some(Box::new(name.into()));
    }
    for (operation, shared, name, required) in CREATE_SCHEMAS {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(*shared) else { continue };
        let mut object = object.clone();
        for field in *required {
            if let Some(property) = object.properties.get_mut(*field) {
                not_null(property);
            }
            if !object.required.iter().any(|r| r == field) {
                object.required.push(field.to_string());
            }
        }
        components.schemas.insert(name.to_string(), RefOr::T(Schema::Object(object)));
        let (method, path) = operation.split_once(' ').unwrap_or_default();
        let item = openapi.paths.paths.get_mut(path);
        let create = item.and_then(|item| if method == "post" { item.post.as_mut() } else { None });
        let body = create.and_then(|create| create.request_body.as_mut());
        for content in body.into_iter().flat_map(|body| body.content.values_mut()) {
            content.schema = Some(Ref::from_schema_name(*name).into());
        }
    }
    for (name, fields) in AT_LEAST_ONE_OF {
        if let Some(schema) = components.schemas.get_mut(*name) {
            require_one_of(schema, fields);
        }
    }
    for name in ["SettingsRequest", "OfficeHoursRequest"] {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) else { continue };
        if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut("office_hours") {
            office_hours(property);
        }
    }
    if let Some(schema) = components.schemas.get_mut("NewIdentity") {
        identity_values(schema);
    }
    for (name, field, schema) in PROPERTY_SCHEMAS {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*name) {
            object.properties.insert(field.to_string(), RefOr::T(schema()));
        }
    }
    for (operation, status, target, parameter, field, body) in LINKS {
        let (method, path) = operation.split_once(' ').unwrap_or_default();
        let item = openapi.paths.paths.get_mut(path);
        let create = item.and_then(|item| if method == "post" { item.post.as_mut() } else { None });
        let response = create.and_then(|create| create.responses.responses.get_mut(*status));
        if let Some(RefOr::T(response)) = response {
            // utoipa 5.5 writes `Link`'s fields in snake case (`operation_id`); OpenAPI's keys
            // are `operationId` and `requestBody`, so they go in as extensions (written as given).
            let mut keys: Extensions = [("operationId", serde_json::json!(target))].into_iter().collect();
            if let Some((name, value)) = body {
                keys.insert("requestBody".to_string(), serde_json::json!({ *name: value }));
            }
            let link =
                LinkBuilder::new().parameter(*parameter, format!("$response.body#/{field}")).extensions(Some(keys));
            response.links.insert(target.to_string(), RefOr::T(link.build()));
        }
    }
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (operation, writes) in operations {
            if let Some(operation) = operation.as_mut() {
                complete_operation(operation, writes);
            }
        }
    }
}

fn complete_operation(operation: &mut Operation, writes: bool) {
    let public = operation.security.as_ref().is_some_and(|requirements| {
        let empty = utoipa::openapi::security::SecurityRequirement::default();
        requirements.iter().all(|r| *r == empty)
    });
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_path_parameter = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let has_body = operation.request_body.is_some();
    for (status, description, applies) in STANDARD_ERRORS {
        let wanted = match applies {
            Applies::All => true,
            Applies::Authenticated => !public,
            Applies::Addressed => has_path_parameter || has_body,
            Applies::Writes => writes,
            Applies::WithBody => has_body,
        };
        if wanted && !operation.responses.responses.contains_key(*status) {
            let response = ResponseBuilder::new().description(*description).build();
            operation.responses.responses.insert(status.to_string(), RefOr::T(response));
        }
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response) {
            if response.content.is_empty() {
                let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(ERROR_LIST))).build();
                response.content.insert("application/json".to_string(), content);
            }
        }
    }
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.parameter_in == ParameterIn::Query {
            if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() {
                drop_null(object);
            }
        }
    }
}

/// Turns an object schema into `allOf: [the object, anyOf: [{required: [field]}, …]]`, each
/// branch with that field's own schema without `null`.
/// Office hours as `rapport_core::office_hours::OfficeHours::parse` takes them: days `mon` to
/// `sun`, each a list of `[start, end]` minutes after local midnight (0 to 1440). That a start
/// comes before its end and a day's intervals do not overlap is left to the handler (400).
fn office_hours(object: &mut Object) {
    let minute = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .maximum(Some(1440));
    let interval = ArrayBuilder::new().items(minute).min_items(Some(2)).max_items(Some(2));
    let day: Schema = ArrayBuilder::new().items(interval).into();
    for name in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        object.properties.insert(name.to_string(), RefOr::T(day.clone()));
    }
    object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
}

/// An identity's value as `IdentityKind::normalise` takes it, which depends on its type: an email
/// address, or a phone (1 to 64 characters) or external id (1 to 255) that is not blank.
fn identity_values(schema: &mut RefOr<Schema>) {
    let RefOr::T(Schema::Object(object)) = schema else { return };
    let kinds = [("email", EMAIL_PATTERN, 254), ("phone", "\\S", 64), ("external_id", "\\S", 255)];
    let mut one_of = OneOfBuilder::new();
    for (kind, pattern, max_length) in kinds {
        let kind_schema = ObjectBuilder::new().schema_type(Type::String).pattern(Some(format!("^{kind}$")));
        let value = ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).max_length(Some(max_length));
        one_of = one_of.item(ObjectBuilder::new().property("identity_type", kind_schema).property("value", value));
    }
    let object = object.clone();
    *schema = AllOfBuilder::new().item(object).item(one_of).into();
}

fn require_one_of(schema: &mut RefOr<Schema>, fields: &[&str]) {
    let RefOr::T(Schema::Object(object)) = schema else { return };
    let mut any_of = AnyOfBuilder::new();
    for field in fields {
        let Some(property) = object.properties.get(*field) else { continue };
        let mut property = property.clone();
        not_null(&mut property);
        any_of = any_of.item(ObjectBuilder::new().property(*field, property).required(*field));
    }
    let object = object.clone();
    *schema = AllOfBuilder::new().item(object).item(any_of).into();
}

/// A property's schema without `null`.
fn not_null(property: &mut RefOr<Schema>) {
    match property {
        RefOr::T(Schema::Object(inner)) => drop_null(inner),
        // `Option<T>` of a named schema is `oneOf: [{type: null}, {$ref: T}]`.
        RefOr::T(Schema::OneOf(one_of)) => {
            one_of.items.retain(
                |item| !matches!(item, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null)),
            );
            if one_of.items.len() == 1 {
                *property = one_of.items.remove(0);
            }
        }
        _ => {}
    }
}

fn drop_null(object: &mut Object) {
    if let SchemaType::Array(types) = &object.schema_type {
        let mut kept: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
        object.schema_type = if kept.len() == 1 { SchemaType::Type(kept.remove(0)) } else { SchemaType::Array(kept) };
    }
}

/// `{"type": "error.list", "request_id": "…", "errors": [{"code", "message", "field"?}]}`.
fn error_list_schema() -> RefOr<Schema> {
    let error = ObjectBuilder::new()
        .property("code", ObjectBuilder::new().schema_type(Type::String))
        .required("code")
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .required("message")
        .property("field", ObjectBuilder::new().schema_type(Type::String));
    ObjectBuilder::new()
        .description(Some("Every non-2xx answer of the API (docs/API.md, \"Responses and errors\")."))
        .property("type", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["error.list"])))
        .required("type")
        .property("request_id", ObjectBuilder::new().schema_type(Type::String))
        .property("errors", ArrayBuilder::new().items(error).min_items(Some(1)))
        .required("errors")
        .into()
}

/// An id the customer chose (a company's `company_id`): a string of 1 to 255 characters, not only
/// spaces, or an integer.
fn text_id() -> Schema {
    let text = ObjectBuilder::new().schema_type(Type::String).pattern(Some("\\S")).max_length(Some(255));
    let integer =
        ObjectBuilder::new().schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)));
    OneOfBuilder::new().item(text).item(integer).into()
}

/// The schema of an id in a request body: a string or an integer, as the SDKs send both
/// (docs/API.md, "Requests").
fn body_id() -> Schema {
    let integer =
        ObjectBuilder::new().schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)));
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(integer)
        .description(Some("An id, sent as a JSON string or integer (the SDKs do both)."))
        .into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    /// Links name their target with `operationId` (OpenAPI's key), and the target exists.
    #[test]
    fn links_name_existing_operations() {
        let document = serde_json::to_value(crate::router::openapi()).unwrap();
        let links = &document["paths"]["/companies"]["post"]["responses"]["200"]["links"];
        let find = &links["find_company"];
        assert_eq!(find["operationId"], "find_company", "{links}");
        assert_eq!(find["parameters"]["id"], "$response.body#/id");
        assert!(find.get("operation_id").is_none());
        assert_eq!(document["paths"]["/companies/{id}"]["get"]["operationId"], "find_company");
    }

    /// Tools (schemathesis's links, client generators) find operations by `operationId`.
    #[test]
    fn operation_ids_are_unique() {
        let document = crate::router::openapi();
        let mut seen = HashSet::new();
        for (path, item) in &document.paths.paths {
            for operation in [&item.get, &item.put, &item.post, &item.delete, &item.patch].into_iter().flatten() {
                let id = operation.operation_id.clone().unwrap_or_default();
                assert!(seen.insert(id.clone()), "operationId {id} of {path} is not unique");
            }
        }
    }
}
