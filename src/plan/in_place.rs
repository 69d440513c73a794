//! A dashboard whose only change is its layout, saved in place where the server allows
//! (`POST /layouts` with the layout's own id, as `grok s push` saves entities): it keeps its
//! ID, its `/p/<id>` URL and its grants. Kept apart from `diff` (which decides that a
//! dashboard changed, and replaces it as the public API must) so the capability-guarded
//! choice and its fallback sit in one place. Apply verifies every such save by reading the
//! layout back and replaces the dashboard when the server refuses or contradicts it.

use super::capabilities::Permit;
use super::diff::Attributes;
use super::{Action, Change};

/// Why a dashboard is still replaced though only its layout changed, for the warning.
const CANNOT: &str = "it cannot be updated in place here";

/// Turns the planned replacement of a dashboard whose only change is its layout into an
/// in-place `~ update` when `permit` allows; otherwise leaves the replacement and says why in
/// its warning. A dashboard without a layout before or after has no layout entity to save,
/// so it is replaced as before.
pub(super) fn save_layout(
    change: &mut Change,
    permit: &Permit,
    before: &Attributes,
    after: &Attributes,
) {
    let has_layout = |a: &Attributes| a.get("layout_text").is_some_and(|t| t.is_string());
    let reason = if !(has_layout(before) && has_layout(after)) {
        "only a dashboard that keeps a layout can have it saved in place".to_string()
    } else {
        match permit.refusal() {
            None => {
                change.action = Action::Update;
                change.save_in_place = true;
                change.warnings.clear();
                let at = match &change.remote_id {
                    Some(id) => format!("`/p/{id}`"),
                    None => "its URL".into(),
                };
                change.reasons.push(format!(
                    "the layout is saved in place: the dashboard keeps {at} and its shares"
                ));
                return;
            }
            Some(reason) => reason,
        }
    };
    for warning in &mut change.warnings {
        warning.push_str(&format!("; {CANNOT}: {reason}"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::address::Address;

    fn replaced() -> Change {
        Change {
            address: Address::dashboard("d"),
            action: Action::Replace,
            reasons: vec!["layout changed".into()],
            depends_on: vec![],
            remote_id: Some("p-1".into()),
            before: None,
            after: None,
            layout_diff: None,
            layout_summary: vec![],
            csv: None,
            warnings: vec!["dashboard.d: a new dashboard is created".into()],
            uncertain: false,
            drift: vec![],
            revoke_first: false,
            delete_replaced: vec![],
            save_in_place: false,
            inputs_hash: String::new(),
        }
    }

    fn with_layout() -> Attributes {
        Attributes::from([("layout_text".to_string(), json!("{}"))])
    }

    #[test]
    fn an_allowed_save_keeps_the_url() {
        let mut change = replaced();
        let allowed = Permit::Allowed { tried: false };
        save_layout(&mut change, &allowed, &with_layout(), &with_layout());
        assert_eq!(change.action, Action::Update);
        assert!(change.save_in_place);
        assert!(change.warnings.is_empty());
        assert!(
            change.reasons[1].contains("keeps `/p/p-1`"),
            "{:?}",
            change.reasons
        );
    }

    #[test]
    fn a_refused_save_replaces_and_says_why() {
        let mut change = replaced();
        let refused = Permit::Refused {
            reason: "no route".into(),
        };
        save_layout(&mut change, &refused, &with_layout(), &with_layout());
        assert_eq!(change.action, Action::Replace);
        assert!(!change.save_in_place);
        assert!(change.warnings[0].ends_with("cannot be updated in place here: no route"));
    }

    #[test]
    fn a_dashboard_gaining_its_first_layout_is_replaced() {
        let mut change = replaced();
        let allowed = Permit::Allowed { tried: true };
        save_layout(&mut change, &allowed, &Attributes::new(), &with_layout());
        assert_eq!(change.action, Action::Replace);
        assert!(change.warnings[0].contains("keeps a layout"));
    }
}
