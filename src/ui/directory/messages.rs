//! The directory's errors and org changes in the user's language.

use super::department_name;
use crate::domain::directory::{DeleteError, Directory, DirectoryError, EditError, OrgChange};
use crate::domain::people_csv::{CsvError, RowProblem};
use crate::ui::i18n::*;

pub fn edit_error(l: Locale, e: &EditError) -> String {
    match e {
        EditError::IntoItself => td_string!(l, directory.error_into_itself).to_string(),
        EditError::Unknown(id) => {
            td_string!(l, directory.error_unknown, name = id.0.clone()).to_string()
        }
        EditError::EmptyName => td_string!(l, directory.error_empty_name).to_string(),
        EditError::Exists(id) => {
            td_string!(l, directory.error_exists, name = id.0.clone()).to_string()
        }
        EditError::UnknownPerson(email) => {
            td_string!(l, directory.error_unknown_person, email = email.clone()).to_string()
        }
    }
}

pub fn delete_error(l: Locale, e: &DeleteError) -> String {
    match e {
        DeleteError::OpenTickets(n) => {
            td_string!(l, directory.error_open_tickets, count = *n).to_string()
        }
        DeleteError::People(n) => td_string!(l, directory.error_has_people, count = *n).to_string(),
        DeleteError::Children => td_string!(l, directory.error_has_children).to_string(),
        DeleteError::Unknown(id) => {
            td_string!(l, directory.error_unknown, name = id.0.clone()).to_string()
        }
    }
}

pub fn csv_error(l: Locale, e: &CsvError) -> String {
    match e {
        CsvError::NotUtf8 => td_string!(l, import.not_utf8).to_string(),
        CsvError::Empty => td_string!(l, import.empty).to_string(),
        CsvError::MissingColumns(columns) => {
            td_string!(l, import.missing_columns, columns = columns.clone()).to_string()
        }
        CsvError::UnclosedQuote(line) => {
            td_string!(l, import.unclosed_quote, line = *line).to_string()
        }
    }
}

pub fn row_problem(l: Locale, p: &RowProblem) -> String {
    match p {
        RowProblem::Empty(column) => td_string!(l, import.row_empty, column = *column).to_string(),
        RowProblem::BadEmail(value) => {
            td_string!(l, import.row_bad_email, value = value.clone()).to_string()
        }
        RowProblem::DuplicateEmail(email) => {
            td_string!(l, import.row_duplicate, email = email.clone()).to_string()
        }
        RowProblem::BadRole(value) => {
            td_string!(l, import.row_bad_role, value = value.clone()).to_string()
        }
        RowProblem::Directory(e) => directory_error(l, e),
    }
}

fn directory_error(l: Locale, e: &DirectoryError) -> String {
    match e {
        DirectoryError::DuplicateEmail(email) => {
            td_string!(l, import.row_duplicate, email = email.clone()).to_string()
        }
        DirectoryError::DepartmentCycle(department, through) => td_string!(
            l,
            import.department_cycle,
            department = department.0.clone(),
            through = through.0.clone()
        )
        .to_string(),
        DirectoryError::ManagerCycle(email) => {
            td_string!(l, import.manager_cycle, email = email.clone()).to_string()
        }
        DirectoryError::UnknownDepartment(email, department) => td_string!(
            l,
            import.unknown_department,
            email = email.clone(),
            department = department.0.clone()
        )
        .to_string(),
        DirectoryError::UnknownManager(email, manager) => td_string!(
            l,
            import.unknown_manager,
            email = email.clone(),
            manager = manager.clone()
        )
        .to_string(),
    }
}

/// One line of the org history, with today's names (a rename shows both of its own names).
pub fn org_change(l: Locale, d: &Directory, change: &OrgChange) -> String {
    let name = |id: &crate::domain::directory::DepartmentId| department_name(d, &id.0);
    match change {
        OrgChange::Renamed { from, to, .. } => td_string!(
            l,
            directory.change_renamed,
            from = from.clone(),
            to = to.clone()
        )
        .to_string(),
        OrgChange::Merged { from, into, .. } => td_string!(
            l,
            directory.change_merged,
            from = from.0.clone(),
            into = name(into)
        )
        .to_string(),
        OrgChange::Split { from, into, .. } => td_string!(
            l,
            directory.change_split,
            from = name(from),
            into = name(into)
        )
        .to_string(),
        OrgChange::Moved {
            email, from, to, ..
        } => {
            let who = d
                .people
                .get(email)
                .map_or_else(|| email.clone(), |p| p.name.clone());
            td_string!(
                l,
                directory.change_moved,
                who = who,
                from = name(from),
                to = name(to)
            )
            .to_string()
        }
    }
}
