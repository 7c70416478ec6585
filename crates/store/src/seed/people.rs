//! Companies, contacts and what hangs off them (company links, tags, events, notes), plus the
//! data attribute definitions of every custom attribute the seed writes.
use rapport_core::ids::WorkspaceId;
use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

use super::batch::{Rows, V};
use super::text::{self, pick};

const DAY: i64 = 86_400;

pub struct Companies {
    pub rows: Rows,
    /// Email domain of each company, by row.
    pub domains: Vec<String>,
    pub plans: Vec<&'static str>,
}

pub struct Contacts {
    pub rows: Rows,
    pub roles: Vec<&'static str>,
    /// Index (into the companies) of the company each contact works at.
    pub company: Vec<Option<usize>>,
}

const CONTACT_COLUMNS: &[&str] = &[
    "workspace_id",
    "role",
    "external_id",
    "email",
    "email_domain",
    "phone",
    "name",
    "browser",
    "browser_version",
    "browser_language",
    "os",
    "location_country",
    "location_region",
    "location_city",
    "location_country_code",
    "location_continent_code",
    "custom_attributes",
    "signed_up_at",
    "last_seen_at",
    "created_at",
    "updated_at",
];

fn slug(s: &str) -> String {
    s.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// `n` companies with distinct names, plans, spend and custom attributes.
pub fn companies(rng: &mut StdRng, workspace_id: WorkspaceId, n: usize, at: i64) -> Companies {
    let mut rows = Rows::new(
        "companies",
        &[
            "workspace_id",
            "company_id",
            "name",
            "plan",
            "size",
            "website",
            "industry",
            "monthly_spend",
            "session_count",
            "remote_created_at",
            "custom_attributes",
            "created_at",
            "updated_at",
        ],
    );
    let (mut domains, mut plans) = (Vec::new(), Vec::new());
    for i in 0..n {
        let prefix = text::COMPANY_PREFIXES[i % text::COMPANY_PREFIXES.len()];
        let round = i / text::COMPANY_PREFIXES.len();
        let (suffix, industry) = text::COMPANY_SUFFIXES[(round * 5 + i * 3) % text::COMPANY_SUFFIXES.len()];
        let name = format!("{prefix} {suffix}");
        let domain = format!("{}.example", slug(&name));
        let roll: f64 = rng.gen();
        let plan = if roll < 0.45 {
            "free"
        } else if roll < 0.85 {
            "pro"
        } else {
            "enterprise"
        };
        let spend: f64 = match plan {
            "free" => 0.0,
            "pro" => rng.gen_range(49..500) as f64,
            _ => rng.gen_range(1_000..12_000) as f64,
        };
        let size = match plan {
            "free" => rng.gen_range(1..20),
            "pro" => rng.gen_range(10..200),
            _ => rng.gen_range(200..5_000),
        };
        let created = at - rng.gen_range(100 * DAY..700 * DAY);
        let attrs = json!({
            "region": pick(rng, text::REGIONS),
            "churn_risk": rng.gen_bool(0.15),
            "account_manager": if plan == "enterprise" { "Mei Tanaka" } else { "Jordan Rivera" },
        });
        rows.push(vec![
            V::I(workspace_id.get()),
            V::S(format!("cmp_{:04}", i + 1)),
            V::S(name),
            V::S(plan.into()),
            V::I(size),
            V::S(format!("https://{domain}")),
            V::S(industry.into()),
            V::F(spend),
            V::I(rng.gen_range(0..2_000)),
            V::I(created - 30 * DAY),
            V::S(attrs.to_string()),
            V::I(created),
            V::I(at - rng.gen_range(0..30 * DAY)),
        ]);
        domains.push(domain);
        plans.push(plan);
    }
    Companies { rows, domains, plans }
}

/// `n` contacts: the first `users` are users working at one of the companies, the rest leads
/// (some anonymous). Emails are unique within `seen`.
pub fn contacts(
    rng: &mut StdRng,
    workspace_id: WorkspaceId,
    n: usize,
    users: usize,
    companies: &Companies,
    at: i64,
    seen: &mut HashSet<String>,
) -> Contacts {
    let mut out = Contacts { rows: Rows::new("contacts", CONTACT_COLUMNS), roles: Vec::new(), company: Vec::new() };
    for i in 0..n {
        let user = i < users;
        let first = pick(rng, text::FIRST_NAMES);
        let last = pick(rng, text::LAST_NAMES);
        let company = (user && !companies.domains.is_empty()).then(|| rng.gen_range(0..companies.domains.len()));
        let anonymous = !user && rng.gen_bool(0.4);
        let domain = match company {
            Some(c) => companies.domains[c].clone(),
            None => pick(rng, text::LEAD_DOMAINS).to_string(),
        };
        let local = format!("{}.{}", slug(first), slug(last));
        let mut email = format!("{local}@{domain}");
        let mut k = 2;
        while seen.contains(&email) {
            email = format!("{local}{k}@{domain}");
            k += 1;
        }
        seen.insert(email.clone());
        let (country, region, city, cc, continent) = text::LOCATIONS[rng.gen_range(0..text::LOCATIONS.len())];
        let (browser, version) = text::BROWSERS[rng.gen_range(0..text::BROWSERS.len())];
        let created = at - rng.gen_range(10 * DAY..400 * DAY);
        let attrs = if user {
            json!({"seats": rng.gen_range(1..50), "beta_tester": rng.gen_bool(0.2), "nps_score": rng.gen_range(0..=10)})
        } else {
            json!({"beta_tester": false})
        };
        let role = if user { "user" } else { "lead" };
        out.rows.push(vec![
            V::I(workspace_id.get()),
            V::S(role.into()),
            V::NS(user.then(|| format!("usr_{:05}", i + 1))),
            V::NS((!anonymous).then(|| email.clone())),
            V::NS((!anonymous).then(|| domain.clone())),
            V::NS(rng.gen_bool(0.3).then(|| format!("+1 555 01{:02}", rng.gen_range(0..100)))),
            V::NS((!anonymous).then(|| format!("{first} {last}"))),
            V::S(browser.into()),
            V::S(version.into()),
            V::S("en".into()),
            V::S(pick(rng, text::OSES).into()),
            V::S(country.into()),
            V::S(region.into()),
            V::S(city.into()),
            V::S(cc.into()),
            V::S(continent.into()),
            V::S(attrs.to_string()),
            V::NI(user.then_some(created)),
            V::I(at - rng.gen_range(0..10 * DAY)),
            V::I(created),
            V::I(at - rng.gen_range(0..10 * DAY)),
        ]);
        out.roles.push(role);
        out.company.push(company);
    }
    out
}

/// Company links, contact and company tags, events and notes of inserted contacts.
#[allow(clippy::too_many_arguments)]
pub fn extras(
    rng: &mut StdRng,
    workspace_id: WorkspaceId,
    contacts: &Contacts,
    contact_ids: &[i64],
    company_ids: &[i64],
    company_plans: &[&str],
    admins: &[i64],
    tags: &HashMap<String, i64>,
    at: i64,
) -> Vec<Rows> {
    let mut links = Rows::new("contact_companies", &["workspace_id", "contact_id", "company_id", "created_at"]);
    let mut taggings = Rows::new(
        "taggings",
        &["workspace_id", "tag_id", "target_type", "target_id", "applied_at", "applied_by_admin_id"],
    );
    let mut events = Rows::new("events", &["workspace_id", "contact_id", "event_name", "metadata", "created_at"]);
    let mut notes = Rows::new("notes", &["workspace_id", "contact_id", "admin_id", "body", "created_at"]);
    let admin = |rng: &mut StdRng| admins[rng.gen_range(0..admins.len())];
    for (i, &contact) in contact_ids.iter().enumerate() {
        if let Some(c) = contacts.company[i] {
            links.push(vec![V::I(workspace_id.get()), V::I(contact), V::I(company_ids[c]), V::I(at)]);
        }
        if rng.gen_bool(0.25) {
            let tag = tags[pick(rng, text::CONTACT_TAGS)];
            taggings.push(vec![
                V::I(workspace_id.get()),
                V::I(tag),
                V::S("contact".into()),
                V::I(contact),
                V::I(at - rng.gen_range(0..30 * DAY)),
                V::NI(Some(admin(rng))),
            ]);
        }
        let n_events = if contacts.roles[i] == "user" { rng.gen_range(1..=6) } else { rng.gen_range(0..=2) };
        for _ in 0..n_events {
            let name = if contacts.roles[i] == "lead" { "viewed-pricing" } else { pick(rng, text::EVENTS) };
            let metadata = match name {
                "viewed-pricing" => json!({"page": "/pricing", "referrer": "google"}),
                "invited-teammate" => {
                    json!({"invitee_email": format!("teammate{}@example.com", rng.gen_range(1..999))})
                }
                "upgraded-plan" => json!({"plan": "pro", "price": {"amount": 4900, "currency": "usd"}}),
                "created-project" => json!({"project_name": format!("Project {}", rng.gen_range(1..99))}),
                _ => json!({}),
            };
            events.push(vec![
                V::I(workspace_id.get()),
                V::I(contact),
                V::S(name.into()),
                V::S(metadata.to_string()),
                V::I(at - rng.gen_range(0..60 * DAY)),
            ]);
        }
        if contacts.roles[i] == "user" && rng.gen_bool(0.15) {
            let body = pick(
                rng,
                &["Prefers email over chat.", "Evaluating the enterprise plan.", "Met at the Berlin meetup."],
            );
            notes.push(vec![
                V::I(workspace_id.get()),
                V::I(contact),
                V::NI(Some(admin(rng))),
                V::S(text::html(body)),
                V::I(at - rng.gen_range(0..30 * DAY)),
            ]);
        }
    }
    if let Some(vip) = tags.get("VIP") {
        // Enterprise customers carry the VIP tag (companies are tagged too).
        for (&company, _) in company_ids.iter().zip(company_plans).filter(|(_, plan)| **plan == "enterprise") {
            taggings.push(vec![
                V::I(workspace_id.get()),
                V::I(*vip),
                V::S("company".into()),
                V::I(company),
                V::I(at),
                V::NI(admins.first().copied()),
            ]);
        }
    }
    vec![links, taggings, events, notes]
}

/// The definitions of the custom attributes written on contacts, companies and conversations.
pub fn data_attributes(workspace_id: WorkspaceId, admin_id: i64, at: i64) -> Rows {
    let mut rows = Rows::new(
        "data_attributes",
        &[
            "workspace_id",
            "model",
            "name",
            "label",
            "description",
            "data_type",
            "options",
            "admin_id",
            "created_at",
            "updated_at",
        ],
    );
    let defs: &[(&str, &str, &str, &str, &str)] = &[
        ("contact", "seats", "Seats", "Seats the user's account pays for", "integer"),
        ("contact", "beta_tester", "Beta tester", "Opted in to beta features", "boolean"),
        ("contact", "nps_score", "NPS score", "Latest Net Promoter Score answer (0-10)", "integer"),
        ("company", "region", "Region", "Sales region", "string"),
        ("company", "churn_risk", "Churn risk", "Flagged by customer success", "boolean"),
        ("company", "account_manager", "Account manager", "Who owns the relationship", "string"),
        ("conversation", "product_area", "Product area", "Which part of the product the question is about", "string"),
    ];
    for (model, name, label, description, data_type) in defs {
        rows.push(vec![
            V::I(workspace_id.get()),
            V::S(model.to_string()),
            V::S(name.to_string()),
            V::S(label.to_string()),
            V::S(description.to_string()),
            V::S(data_type.to_string()),
            V::S("[]".into()),
            V::I(admin_id),
            V::I(at),
            V::I(at),
        ]);
    }
    rows
}
