//! The users and groups shares can name. Datagrok resolves share targets against its user
//! directory; the emulator has a small fixed one plus `--group`.

use serde_json::{Value, json};
use uuid::Uuid;

use super::ids::derived;

/// A user of the built-in directory.
#[derive(Clone, Debug)]
pub struct User {
    pub name: &'static str,
    pub login: &'static str,
}

/// The user every API key acts as.
pub const ADMIN: User = User {
    name: "Admin",
    login: "admin",
};

const USERS: [User; 2] = [
    ADMIN,
    User {
        name: "JohnDoe",
        login: "johndoe",
    },
];

const GROUPS: [&str; 5] = [
    "All users",
    "Administrators",
    "Analysts",
    "Managers",
    "Developers",
];

/// A group or user as the internal routes show it (`userGroup` of a permission row). A user
/// stands for its personal group, as in Datagrok.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub id: Uuid,
    pub name: String,
    pub personal: bool,
}

impl GroupInfo {
    /// The `userGroup` object of a permission row.
    pub fn to_json(&self) -> Value {
        json!({
            "#type": "Group",
            "id": self.id,
            "name": self.name,
            "friendlyName": self.name,
            "personal": self.personal,
        })
    }
}

/// The id of the user every key acts as (also the `author.id` of what it creates).
pub const ADMIN_ID: &str = "878c42b0-9a50-11e6-c537-6bf8e9ab02ee";

/// Users and groups a share may name.
#[derive(Clone, Debug)]
pub struct Directory {
    groups: Vec<String>,
}

impl Directory {
    /// The built-in directory with `extra` groups added.
    pub fn new(extra: &[String]) -> Self {
        let mut groups: Vec<String> = GROUPS.iter().map(|g| (*g).to_owned()).collect();
        for group in extra {
            let group = group.trim();
            if !group.is_empty() && !groups.iter().any(|g| g.eq_ignore_ascii_case(group)) {
                groups.push(group.to_owned());
            }
        }
        Self { groups }
    }

    /// The canonical name of the group or user `name` (case-insensitive; users also by login).
    pub fn resolve(&self, name: &str) -> Option<String> {
        let name = name.trim();
        if let Some(group) = self.groups.iter().find(|g| g.eq_ignore_ascii_case(name)) {
            return Some(group.clone());
        }
        USERS
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(name) || u.login.eq_ignore_ascii_case(name))
            .map(|u| u.name.to_owned())
    }

    /// The group (or user's personal group) named `name` (canonical or not), with its id.
    pub fn group(&self, name: &str) -> Option<GroupInfo> {
        let canonical = self.resolve(name)?;
        let personal = USERS.iter().any(|u| u.name == canonical);
        Some(GroupInfo {
            id: group_id(&canonical),
            name: canonical,
            personal,
        })
    }

    /// The group named `name`, also when the directory no longer lists it (a `--group` given
    /// to an earlier start): its grants stay readable.
    pub fn group_or_named(&self, name: &str) -> GroupInfo {
        self.group(name).unwrap_or_else(|| GroupInfo {
            id: group_id(name),
            name: name.to_owned(),
            personal: false,
        })
    }

    /// The group whose id is `id`.
    pub fn group_by_id(&self, id: Uuid) -> Option<GroupInfo> {
        self.groups
            .iter()
            .map(String::as_str)
            .chain(USERS.iter().map(|u| u.name))
            .find(|name| group_id(name) == id)
            .and_then(|name| self.group(name))
    }
}

/// A group's id: derived from its name, so it is the same on every start.
fn group_id(canonical: &str) -> Uuid {
    derived(&[b"group", canonical.to_lowercase().as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_groups_users_and_logins_case_insensitively() {
        let directory = Directory::new(&["Chemists".to_owned()]);
        assert_eq!(directory.resolve("analysts").as_deref(), Some("Analysts"));
        assert_eq!(directory.resolve("ALL USERS").as_deref(), Some("All users"));
        assert_eq!(directory.resolve("johndoe").as_deref(), Some("JohnDoe"));
        assert_eq!(directory.resolve("chemists").as_deref(), Some("Chemists"));
        assert_eq!(directory.resolve("Nobody"), None);
    }

    #[test]
    fn groups_have_stable_ids_found_both_ways() {
        let directory = Directory::new(&[]);
        let analysts = directory.group("analysts").unwrap();
        assert_eq!(analysts.name, "Analysts");
        assert!(!analysts.personal);
        assert_eq!(directory.group_by_id(analysts.id), Some(analysts.clone()));
        assert_eq!(
            Directory::new(&[]).group("Analysts").unwrap().id,
            analysts.id
        );
        assert!(directory.group("johndoe").unwrap().personal);
        assert_eq!(directory.group_by_id(uuid::Uuid::nil()), None);
    }
}
