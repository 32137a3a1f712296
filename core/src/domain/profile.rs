//! The local profile a person picks on first open: who they are and which department they belong to.
//! (Until the directory exists, people and departments are free text.)

/// The person using this device.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    pub name: String,
    pub department: String,
    /// Set once the person has signed in to their organisation's relay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
}

/// Who the relay knows this person as: what sync and access are decided by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub person: crate::access::PersonId,
    pub role: crate::access::Role,
    pub email: String,
}

/// Why a profile cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("a name is required")]
    NameMissing,
    #[error("a department is required")]
    DepartmentMissing,
}

impl Profile {
    /// Trims both fields and checks that neither is empty.
    pub fn new(name: &str, department: &str) -> Result<Self, ProfileError> {
        let name = name.trim();
        let department = department.trim();
        if name.is_empty() {
            return Err(ProfileError::NameMissing);
        }
        if department.is_empty() {
            return Err(ProfileError::DepartmentMissing);
        }
        Ok(Self {
            name: name.into(),
            department: department.into(),
            account: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_requires_both_fields() {
        assert_eq!(
            Profile::new(" 王芳 ", " 财务部 "),
            Ok(Profile {
                name: "王芳".into(),
                department: "财务部".into(),
                account: None,
            })
        );
        assert_eq!(Profile::new("  ", "IT"), Err(ProfileError::NameMissing));
        assert_eq!(
            Profile::new("Ann", "\t"),
            Err(ProfileError::DepartmentMissing)
        );
    }
}
