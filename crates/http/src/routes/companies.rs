//! Companies: upsert by `company_id`, find, update, delete, the page-number list, the scroll,
//! and attaching contacts (`/contacts/{id}/companies`).
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use rapport_store::companies::{self, Company, CompanyFields, Order};
use rapport_store::tags::{self, AppliedTag, Target};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa_axum::routes;

use super::tags::applied_tag_json;
use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, ApiQuery, Auth, BodyId};
use crate::pagination::{self, decode_cursor, encode_cursor, numbered_pages};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(upsert_company, retrieve_companies))
        .routes(routes!(list_companies))
        .routes(routes!(scroll_companies))
        .routes(routes!(find_company, update_company, delete_company))
        .routes(routes!(attach_contact))
        .routes(routes!(detach_contact))
}

/// Intercom's default page size for company lists.
const DEFAULT_PER_PAGE: i64 = 15;

/// A company as Intercom shows it. `tags` are the tags applied to this company (others are ignored).
pub fn company_json(c: &Company, app_id: &str, tags: &[AppliedTag]) -> Value {
    let plan = match c.plan.as_deref().filter(|p| !p.is_empty()) {
        // We keep only the plan's name, so it doubles as its id.
        Some(plan) => json!({"type": "plan", "id": plan, "name": plan}),
        None => json!({}),
    };
    let tags: Vec<Value> = tags.iter().filter(|t| t.target_id == c.id.get()).map(applied_tag_json).collect();
    json!({
        "type": "company",
        "id": c.id.to_string(),
        "company_id": c.company_id,
        "app_id": app_id,
        "name": c.name,
        "remote_created_at": c.remote_created_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        // Stored truncated to whole units, as Intercom does; shown as an integer.
        "monthly_spend": c.monthly_spend as i64,
        "session_count": c.session_count,
        "user_count": c.user_count,
        "size": c.size,
        "website": c.website,
        "industry": c.industry,
        "tags": {"type": "tag.list", "tags": tags},
        "segments": {"type": "segment.list", "segments": []},
        "plan": plan,
        "custom_attributes": c.custom_attributes,
    })
}

/// Renders companies with their tags, fetched in one query.
async fn render(state: &AppState, auth: &Auth, list: &[Company]) -> AppResult<Vec<Value>> {
    let ids: Vec<i64> = list.iter().map(|c| c.id.get()).collect();
    let applied = tags::tags_of(&state.db, auth.workspace_id(), Target::Company, &ids).await?;
    Ok(list.iter().map(|c| company_json(c, &auth.workspace.app_id, &applied)).collect())
}

async fn render_one(state: &AppState, auth: &Auth, company: &Company) -> AppResult<Json<Value>> {
    let mut all = render(state, auth, std::slice::from_ref(company)).await?;
    Ok(Json(all.pop().unwrap_or(Value::Null)))
}

/// The body of `POST /companies` and `PUT /companies/{id}`.
#[derive(Deserialize, utoipa::ToSchema)]
struct CompanyRequest {
    /// The customer's id for the company (required on create; cannot change).
    company_id: Option<BodyId>,
    name: Option<String>,
    plan: Option<String>,
    #[schema(minimum = 0)]
    size: Option<i64>,
    website: Option<String>,
    industry: Option<String>,
    #[schema(value_type = Option<Object>)]
    custom_attributes: Option<Map<String, Value>>,
    remote_created_at: Option<i64>,
    /// Truncated to a whole number.
    monthly_spend: Option<f64>,
}

impl CompanyRequest {
    fn fields(self) -> CompanyFields {
        CompanyFields {
            name: self.name,
            plan: self.plan,
            size: self.size,
            website: self.website,
            industry: self.industry,
            monthly_spend: self.monthly_spend,
            remote_created_at: self.remote_created_at,
            custom_attributes: self.custom_attributes,
        }
    }
}

/// Creates a company, or updates the one with the same `company_id`.
#[utoipa::path(post, path = "/companies", tag = "Companies", request_body = CompanyRequest,
    responses((status = 200, description = "company"), (status = 400, description = "parameter_not_found")))]
async fn upsert_company(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(mut body): ApiJson<CompanyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let company_id = body.company_id.take().ok_or_else(|| AppError::missing("company_id"))?;
    let (company, _) = companies::upsert(&state.db, auth.workspace_id(), &company_id.0, body.fields()).await?;
    render_one(&state, &auth, &company).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RetrieveQuery {
    company_id: Option<String>,
    name: Option<String>,
    tag_id: Option<String>,
    segment_id: Option<String>,
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 150)]
    per_page: Option<i64>,
}

fn page_size(requested: Option<i64>) -> AppResult<i64> {
    pagination::per_page(Some(requested.unwrap_or(DEFAULT_PER_PAGE)))
}

async fn page_json(
    state: &AppState,
    auth: &Auth,
    tag_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
    order: Order,
) -> AppResult<Json<Value>> {
    let (page, per_page) = (pagination::page_number(page)?, page_size(per_page)?);
    let (list, total) = companies::list_page(&state.db, auth.workspace_id(), tag_id, page, per_page, order).await?;
    Ok(Json(json!({
        "type": "list",
        "data": render(state, auth, &list).await?,
        "pages": numbered_pages(page, per_page, total),
        "total_count": total,
    })))
}

/// One company by `company_id` or `name`; with no filter (or `tag_id`), a page of companies.
#[utoipa::path(get, path = "/companies", tag = "Companies", params(RetrieveQuery),
    responses((status = 200, description = "company, or list of company"), (status = 404, description = "company_not_found")))]
async fn retrieve_companies(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<RetrieveQuery>,
) -> AppResult<Json<Value>> {
    let ws = auth.workspace_id();
    if let Some(company_id) = &q.company_id {
        let company = companies::find_by_company_id(&state.db, ws, company_id).await?;
        return render_one(&state, &auth, &company).await;
    }
    if let Some(name) = &q.name {
        let company = companies::find_by_name(&state.db, ws, name).await?;
        return render_one(&state, &auth, &company).await;
    }
    if q.segment_id.is_some() {
        // Segments do not exist yet, so no segment id is one of ours.
        return Err(AppError::not_found("not_found", "Segment Not Found"));
    }
    let tag_id = match &q.tag_id {
        Some(raw) => Some(tags::find(&state.db, ws, parse_id(raw, "tag")?).await?.id),
        None => None,
    };
    page_json(&state, &auth, tag_id, q.page, q.per_page, Order::Desc).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 150)]
    per_page: Option<i64>,
    /// `asc` or `desc` (default).
    #[param(pattern = "^(asc|desc)?$")]
    order: Option<String>,
}

/// A page of companies, newest first unless `order=asc`. Past the last page, `data` is empty.
#[utoipa::path(post, path = "/companies/list", tag = "Companies", params(ListQuery),
    responses((status = 200, description = "list of company")))]
async fn list_companies(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Value>> {
    let order = match q.order.as_deref().map(str::trim) {
        None | Some("") | Some("desc") => Order::Desc,
        Some("asc") => Order::Asc,
        Some(_) => return Err(AppError::invalid("order", "order must be asc or desc")),
    };
    page_json(&state, &auth, None, q.page, q.per_page, order).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ScrollQuery {
    /// The `scroll_param` of the previous response; absent for the first batch.
    #[param(pattern = "^(-?[0-9]{1,18})?$")]
    scroll_param: Option<String>,
    /// Batch size (Rapport extension; default 15, at most 150).
    #[param(minimum = 1, maximum = 150)]
    per_page: Option<i64>,
}

/// Every company in batches. Each non-empty batch carries a `scroll_param` for the next; the
/// batch after the last is empty with `scroll_param: null`, which is what stops the SDKs.
#[utoipa::path(get, path = "/companies/scroll", tag = "Companies", params(ScrollQuery),
    responses((status = 200, description = "list of company with scroll_param")))]
async fn scroll_companies(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ScrollQuery>,
) -> AppResult<Json<Value>> {
    let limit = page_size(q.per_page)?;
    let after = match q.scroll_param.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(raw) => decode_cursor(raw, 1)
            .map_err(|_| AppError::invalid("scroll_param", "scroll_param is not one this server issued"))?[0],
    };
    let batch = companies::scroll(&state.db, auth.workspace_id(), after, limit).await?;
    let next = batch.last().map(|c| encode_cursor(&[c.id.get()]));
    Ok(Json(json!({
        "type": "list",
        "data": render(&state, &auth, &batch).await?,
        "pages": null,
        "total_count": null,
        "scroll_param": next,
    })))
}

/// One company by our id.
#[utoipa::path(get, path = "/companies/{id}", tag = "Companies", params(("id" = String, Path)),
    responses((status = 200, description = "company"), (status = 404, description = "company_not_found")))]
async fn find_company(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let company = companies::find(&state.db, auth.workspace_id(), parse_id(&id, "company")?).await?;
    render_one(&state, &auth, &company).await
}

/// Updates a company by our id; `company_id` cannot change.
#[utoipa::path(put, path = "/companies/{id}", tag = "Companies", params(("id" = String, Path)),
    request_body = CompanyRequest,
    responses((status = 200, description = "company"), (status = 404, description = "company_not_found")))]
async fn update_company(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(mut body): ApiJson<CompanyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let ws = auth.workspace_id();
    let id = parse_id(&id, "company")?;
    let current = companies::find(&state.db, ws, id).await?;
    if let Some(company_id) = body.company_id.take() {
        if company_id.0.trim() != current.company_id {
            return Err(AppError::invalid("company_id", "company_id cannot be changed"));
        }
    }
    let company = companies::update(&state.db, ws, id, body.fields()).await?;
    render_one(&state, &auth, &company).await
}

/// Deletes a company; its contacts stay, detached.
#[utoipa::path(delete, path = "/companies/{id}", tag = "Companies", params(("id" = String, Path)),
    responses((status = 200, description = "deleted company"), (status = 404, description = "company_not_found")))]
async fn delete_company(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "company")?;
    companies::delete(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"id": id.to_string(), "object": "company", "deleted": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AttachRequest {
    /// Our id of the company.
    #[schema(required = true, nullable = false)]
    id: Option<BodyId>,
}

/// Attaches a company to a contact (idempotent) and returns the company.
#[utoipa::path(post, path = "/contacts/{id}/companies", tag = "Companies", params(("id" = String, Path)),
    request_body = AttachRequest,
    responses((status = 200, description = "company"), (status = 400, description = "parameter_not_found"),
        (status = 404, description = "not_found / company_not_found")))]
async fn attach_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(contact_id): Path<String>,
    ApiJson(body): ApiJson<AttachRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact_id = parse_id(&contact_id, "contact")?;
    let company_id = body
        .id
        .ok_or_else(|| {
            AppError::new(StatusCode::BAD_REQUEST, "parameter_not_found", "company not specified").with_field("id")
        })?
        .parse("company")?;
    let company = companies::attach(&state.db, auth.workspace_id(), contact_id, company_id).await?;
    render_one(&state, &auth, &company).await
}

/// Detaches a company from a contact and returns the company.
#[utoipa::path(delete, path = "/contacts/{id}/companies/{company_id}", tag = "Companies",
    params(("id" = String, Path), ("company_id" = String, Path)),
    responses((status = 200, description = "company"), (status = 404, description = "not_found / company_not_found")))]
async fn detach_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path((contact_id, company_id)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let (contact_id, company_id) = (parse_id(&contact_id, "contact")?, parse_id(&company_id, "company")?);
    let company = companies::detach(&state.db, auth.workspace_id(), contact_id, company_id).await?;
    render_one(&state, &auth, &company).await
}
