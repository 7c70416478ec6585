//! The rules of a contact merge, pure: who may be merged into whom, which values survive, what
//! conflicts a preview shows, and which identifiers of the merged contact the survivor keeps.
//!
//! The surviving contact's non-empty values win; its blanks are filled from the merged contact;
//! custom attributes are filled key by key where the survivor has none; every email, phone and
//! external id of the merged contact that is not the survivor's primary becomes one of the
//! survivor's secondary identities.
use crate::ids::ContactId;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{ContactRole, IdentityKind, RoleRuleError};

/// One contact as the merge rules see it.
#[derive(Debug, Clone, Copy)]
pub struct MergeSide<'a> {
    pub id: ContactId,
    pub role: ContactRole,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub avatar: Option<&'a str>,
    pub custom_attributes: &'a Map<String, Value>,
}

/// A field both contacts hold with different values: `kept` is the survivor's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeConflict {
    pub field: String,
    pub kept: Value,
    pub dropped: Value,
}

/// An identifier of the merged contact that becomes a secondary identity of the survivor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedIdentity {
    pub kind: IdentityKind,
    pub value: String,
    pub verified: bool,
}

/// What the survivor looks like after the merge, and what the merge gives up.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub avatar: Option<String>,
    pub custom_attributes: Map<String, Value>,
    pub conflicts: Vec<MergeConflict>,
    pub carried: Vec<CarriedIdentity>,
}

/// A lead or a user (`from`, either role) merges into a user (`into`), never into itself.
/// Intercom merges only a lead into a user; user into user is our extension.
pub fn check_merge(
    from_id: ContactId,
    _from: ContactRole,
    into_id: ContactId,
    into: ContactRole,
) -> Result<(), RoleRuleError> {
    if from_id == into_id {
        return Err(RoleRuleError::MergeSelf);
    }
    if into != ContactRole::User {
        return Err(RoleRuleError::MergeRoles);
    }
    Ok(())
}

fn blank(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// The survivor's value of one field (its own when non-empty, else the merged one's), noting a
/// conflict when both hold different values.
fn pick(field: &str, into: Option<&str>, from: Option<&str>, conflicts: &mut Vec<MergeConflict>) -> Option<String> {
    match (blank(into), blank(from)) {
        (Some(kept), Some(dropped)) => {
            if !kept.eq_ignore_ascii_case(dropped) {
                conflicts.push(MergeConflict { field: field.into(), kept: kept.into(), dropped: dropped.into() });
            }
            Some(kept.to_string())
        }
        (Some(kept), None) => Some(kept.to_string()),
        (None, from) => from.map(str::to_string),
    }
}

/// Plans the merge of `from` into `into` (call [`check_merge`] first).
///
/// A user's identifiers were given by the customer's own systems (API, signed boot), so they stay
/// verified; a lead's were typed by an anonymous visitor, so they come over unverified.
pub fn plan_merge(from: &MergeSide<'_>, into: &MergeSide<'_>) -> MergePlan {
    let mut conflicts = Vec::new();
    let name = pick("name", into.name, from.name, &mut conflicts);
    let email = pick("email", into.email, from.email, &mut conflicts);
    let phone = pick("phone", into.phone, from.phone, &mut conflicts);
    let external_id = pick("external_id", into.external_id, from.external_id, &mut conflicts);
    let avatar = pick("avatar", into.avatar, from.avatar, &mut conflicts);
    let mut custom_attributes = into.custom_attributes.clone();
    for (key, value) in from.custom_attributes {
        match custom_attributes.get(key) {
            Some(kept) if kept.is_null() => {
                custom_attributes.insert(key.clone(), value.clone());
            }
            Some(kept) => {
                if kept != value && !value.is_null() {
                    conflicts.push(MergeConflict {
                        field: format!("custom_attributes.{key}"),
                        kept: kept.clone(),
                        dropped: value.clone(),
                    });
                }
            }
            None => {
                custom_attributes.insert(key.clone(), value.clone());
            }
        }
    }
    let verified = from.role == ContactRole::User;
    let mut carried = Vec::new();
    for (kind, value, primary) in [
        (IdentityKind::Email, from.email, &email),
        (IdentityKind::Phone, from.phone, &phone),
        (IdentityKind::ExternalId, from.external_id, &external_id),
    ] {
        let Some(value) = blank(value).and_then(|v| kind.normalise(v).ok()) else { continue };
        let same_as_primary = primary.as_deref().and_then(|p| kind.normalise(p).ok()).as_deref() == Some(&value);
        if !same_as_primary {
            carried.push(CarriedIdentity { kind, value, verified });
        }
    }
    MergePlan { name, email, phone, external_id, avatar, custom_attributes, conflicts, carried }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn side<'a>(id: i64, role: ContactRole, attrs: &'a Map<String, Value>) -> MergeSide<'a> {
        MergeSide {
            id: ContactId::new(id),
            role,
            name: None,
            email: None,
            phone: None,
            external_id: None,
            avatar: None,
            custom_attributes: attrs,
        }
    }

    #[test]
    fn who_may_merge() {
        assert!(check_merge(ContactId::new(1), ContactRole::Lead, ContactId::new(2), ContactRole::User).is_ok());
        assert!(check_merge(ContactId::new(1), ContactRole::User, ContactId::new(2), ContactRole::User).is_ok());
        assert_eq!(
            check_merge(ContactId::new(1), ContactRole::User, ContactId::new(2), ContactRole::Lead),
            Err(RoleRuleError::MergeRoles)
        );
        assert_eq!(
            check_merge(ContactId::new(1), ContactRole::Lead, ContactId::new(2), ContactRole::Lead),
            Err(RoleRuleError::MergeRoles)
        );
        assert_eq!(
            check_merge(ContactId::new(2), ContactRole::User, ContactId::new(2), ContactRole::User),
            Err(RoleRuleError::MergeSelf)
        );
    }

    #[test]
    fn survivor_wins_blanks_are_filled_and_identifiers_carried() {
        let from_attrs = json!({"plan": "free", "seats": 3, "region": null}).as_object().unwrap().clone();
        let into_attrs = json!({"plan": "enterprise", "region": null}).as_object().unwrap().clone();
        let mut from = side(1, ContactRole::User, &from_attrs);
        from.name = Some("Ann B");
        from.email = Some("ann@home.example");
        from.phone = Some("+1 555 0100");
        from.external_id = Some("legacy-7");
        let mut into = side(2, ContactRole::User, &into_attrs);
        into.name = Some("Ann Bell");
        into.email = Some("ann@corp.example");
        into.external_id = Some("u-42");
        into.avatar = Some("   ");
        let plan = plan_merge(&from, &into);
        assert_eq!(plan.name.as_deref(), Some("Ann Bell"));
        assert_eq!(plan.email.as_deref(), Some("ann@corp.example"));
        assert_eq!(plan.phone.as_deref(), Some("+1 555 0100"), "a blank of the survivor is filled");
        assert_eq!(plan.external_id.as_deref(), Some("u-42"));
        assert_eq!(plan.avatar, None);
        assert_eq!(Value::Object(plan.custom_attributes), json!({"plan": "enterprise", "seats": 3, "region": null}));
        let fields: Vec<&str> = plan.conflicts.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "external_id", "custom_attributes.plan"]);
        assert_eq!(plan.conflicts[1].dropped, json!("ann@home.example"));
        // The phone became the survivor's primary, so only the email and external id are carried.
        assert_eq!(
            plan.carried,
            vec![
                CarriedIdentity { kind: IdentityKind::Email, value: "ann@home.example".into(), verified: true },
                CarriedIdentity { kind: IdentityKind::ExternalId, value: "legacy-7".into(), verified: true },
            ]
        );
    }

    #[test]
    fn a_leads_identifiers_come_over_unverified_and_equal_emails_do_not_conflict() {
        let none = Map::new();
        let mut from = side(1, ContactRole::Lead, &none);
        from.email = Some("Ann@Corp.example");
        from.phone = Some("+1 555 0100");
        let mut into = side(2, ContactRole::User, &none);
        into.email = Some("ann@corp.example");
        into.phone = Some("+1 555 0199");
        let plan = plan_merge(&from, &into);
        assert_eq!(plan.conflicts.len(), 1, "{:?}", plan.conflicts);
        assert_eq!(plan.conflicts[0].field, "phone");
        assert_eq!(
            plan.carried,
            vec![CarriedIdentity { kind: IdentityKind::Phone, value: "+1 555 0100".into(), verified: false }]
        );
    }

    fn optional(pattern: &'static str) -> impl Strategy<Value = Option<String>> {
        proptest::option::of(pattern)
    }

    proptest! {
        /// Whatever the two contacts hold: the survivor's non-empty values are kept, its blanks
        /// take the merged one's, and each of the merged one's identifiers ends up either as the
        /// survivor's primary or as a carried identity, never lost.
        #[test]
        fn nothing_of_either_side_is_lost(
            from_email in optional("[a-c]{1,2}@x\\.example"), into_email in optional("[a-c]{1,2}@x\\.example"),
            from_phone in optional("[0-9]{1,3}"), into_phone in optional("[0-9]{1,3}"),
            from_id in optional("[a-c]{1,2}"), into_id in optional("[a-c]{1,2}"),
            from_user in any::<bool>(),
        ) {
            let none = Map::new();
            let role = if from_user { ContactRole::User } else { ContactRole::Lead };
            let mut from = side(1, role, &none);
            from.email = from_email.as_deref();
            from.phone = from_phone.as_deref();
            from.external_id = from_id.as_deref();
            let mut into = side(2, ContactRole::User, &none);
            into.email = into_email.as_deref();
            into.phone = into_phone.as_deref();
            into.external_id = into_id.as_deref();
            let plan = plan_merge(&from, &into);
            for (kind, from_value, into_value, result) in [
                (IdentityKind::Email, &from_email, &into_email, &plan.email),
                (IdentityKind::Phone, &from_phone, &into_phone, &plan.phone),
                (IdentityKind::ExternalId, &from_id, &into_id, &plan.external_id),
            ] {
                prop_assert_eq!(result, &into_value.clone().or_else(|| from_value.clone()));
                if let Some(value) = from_value {
                    let carried = plan.carried.iter().any(|c| c.kind == kind && &c.value == value);
                    prop_assert!(result.as_ref() == Some(value) || carried, "{} {} lost", kind, value);
                    prop_assert!(!(result.as_ref() == Some(value) && carried), "{} {} twice", kind, value);
                }
            }
            prop_assert!(plan.carried.iter().all(|c| c.verified == from_user));
        }
    }
}
