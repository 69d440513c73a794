//! The users and groups shares can name. Datagrok resolves share targets against its user
//! directory; the emulator has a small fixed one plus `--group`.

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
}
