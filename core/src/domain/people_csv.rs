//! Importing and exporting the directory as CSV: UTF-8 (Chinese names as they are), a header row,
//! one person per row. An import is previewed first: every row's problem is listed, and nothing is
//! applied until there are none. Importing again updates people (matched by email) instead of
//! duplicating them.

use super::directory::{Department, DepartmentId, Directory, DirectoryError, Member};
use crate::access::Role;
use crate::csv;
use std::collections::BTreeMap;

/// Why a file cannot be read as a directory at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is not UTF-8 text; save it as \"CSV UTF-8\" and import it again")]
    NotUtf8,
    #[error("the file is empty")]
    Empty,
    #[error("required columns are missing: {0}")]
    MissingColumns(String),
    #[error("a quoted field that starts on line {0} never ends")]
    UnclosedQuote(usize),
}

/// One problem in one row (line numbers count the header as line 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct RowError {
    pub line: usize,
    pub problem: RowProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("{0:?} is not an email address")]
    BadEmail(String),
    #[error("{0} appears earlier in the file")]
    DuplicateEmail(String),
    #[error("unknown role {0:?} (use requester, agent, lead or admin)")]
    BadRole(String),
    #[error("{0}")]
    Directory(DirectoryError),
}

/// What an import would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    pub added: Vec<Member>,
    pub updated: Vec<Member>,
    pub unchanged: usize,
    pub new_departments: Vec<Department>,
    pub errors: Vec<RowError>,
    /// The directory as it would be after the import.
    result: Directory,
}

impl Preview {
    /// The directory after the import, or every row error if there are any.
    pub fn apply(self) -> Result<Directory, Vec<RowError>> {
        if self.errors.is_empty() {
            Ok(self.result)
        } else {
            Err(self.errors)
        }
    }
}

const COLUMNS: [(&str, &[&str]); 6] = [
    ("name", &["name", "姓名"]),
    ("email", &["email", "邮箱", "电子邮件"]),
    ("department", &["department", "部门"]),
    ("manager", &["manager", "manager_email", "上级", "经理"]),
    ("role", &["role", "角色"]),
    ("parent", &["parent_department", "parent", "上级部门"]),
];

/// Reads a CSV file against the current directory.
pub fn preview_import(bytes: &[u8], current: &Directory) -> Result<Preview, CsvError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
        .map_err(|_| CsvError::NotUtf8)?;
    let mut rows = parse(text)?.into_iter();
    let header = rows.next().ok_or(CsvError::Empty)?;
    let index = column_index(&header)?;
    let mut preview = Preview {
        result: current.clone(),
        ..Preview::default()
    };
    let mut lines_by_email = BTreeMap::new();
    for (offset, row) in rows.enumerate() {
        let line = offset + 2;
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let fields = Fields {
            index: &index,
            row: &row,
        };
        match read_row(&fields, &mut preview.result, &mut preview.new_departments) {
            Ok(mut member) => {
                // A CSV has no column for it: who was deactivated stays so.
                member.deactivated = current
                    .people
                    .get(&member.email)
                    .is_some_and(|old| old.deactivated);
                if lines_by_email.contains_key(&member.email) {
                    preview.errors.push(RowError {
                        line,
                        problem: RowProblem::DuplicateEmail(member.email),
                    });
                    continue;
                }
                lines_by_email.insert(member.email.clone(), line);
                match current.people.get(&member.email) {
                    None => preview.added.push(member.clone()),
                    Some(old) if *old != member => preview.updated.push(member.clone()),
                    Some(_) => preview.unchanged += 1,
                }
                preview.result.people.insert(member.email.clone(), member);
            }
            Err(problems) => preview.errors.extend(
                problems
                    .into_iter()
                    .map(|problem| RowError { line, problem }),
            ),
        }
    }
    // Problems of the whole (cycles, unknown managers) are pinned to the row that introduced them.
    for problem in preview.result.problems() {
        let email = match &problem {
            DirectoryError::ManagerCycle(e)
            | DirectoryError::UnknownManager(e, _)
            | DirectoryError::UnknownDepartment(e, _) => Some(e.clone()),
            DirectoryError::DuplicateEmail(e) => Some(e.clone()),
            DirectoryError::DepartmentCycle(..) => None,
        };
        let line = email
            .and_then(|e| lines_by_email.get(&e).copied())
            .unwrap_or(1);
        preview.errors.push(RowError {
            line,
            problem: RowProblem::Directory(problem),
        });
    }
    preview.errors.sort_by_key(|e| e.line);
    Ok(preview)
}

fn column_index(header: &[String]) -> Result<BTreeMap<&'static str, usize>, CsvError> {
    let mut index = BTreeMap::new();
    for (i, title) in header.iter().enumerate() {
        let title = title.trim().to_lowercase();
        if let Some((name, _)) = COLUMNS
            .iter()
            .find(|(_, aliases)| aliases.contains(&title.as_str()))
        {
            index.insert(*name, i);
        }
    }
    let missing: Vec<&str> = ["name", "email", "department"]
        .into_iter()
        .filter(|c| !index.contains_key(c))
        .collect();
    if missing.is_empty() {
        Ok(index)
    } else {
        Err(CsvError::MissingColumns(missing.join(", ")))
    }
}

/// One row's fields, by column name.
struct Fields<'a> {
    index: &'a BTreeMap<&'static str, usize>,
    row: &'a [String],
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> &'a str {
        self.index
            .get(name)
            .and_then(|&i| self.row.get(i))
            .map_or("", |s| csv::read_cell(s.trim()))
    }
}

/// One row as a member, creating departments named for the first time.
fn read_row(
    fields: &Fields<'_>,
    directory: &mut Directory,
    new_departments: &mut Vec<Department>,
) -> Result<Member, Vec<RowProblem>> {
    let field = |name: &str| fields.get(name);
    let mut problems = Vec::new();
    for name in ["name", "email", "department"] {
        if field(name).is_empty() {
            problems.push(RowProblem::Empty(name));
        }
    }
    let email = field("email").to_lowercase();
    if !email.is_empty() && !looks_like_email(&email) {
        problems.push(RowProblem::BadEmail(email.clone()));
    }
    let role = match field("role") {
        "" => Role::Requester,
        text => Role::parse(&text.to_lowercase()).unwrap_or_else(|| {
            problems.push(RowProblem::BadRole(text.into()));
            Role::Requester
        }),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let department = department_named(
        field("department"),
        field("parent"),
        directory,
        new_departments,
    );
    let manager = Some(field("manager").to_lowercase()).filter(|m| !m.is_empty());
    Ok(Member {
        email,
        name: field("name").into(),
        department,
        manager,
        role,
        deactivated: false,
    })
}

/// The id of the department with this name, created (under `parent`, if named) when new.
fn department_named(
    name: &str,
    parent: &str,
    directory: &mut Directory,
    new_departments: &mut Vec<Department>,
) -> DepartmentId {
    if let Some(existing) = directory.departments.values().find(|d| d.name == name) {
        return existing.id.clone();
    }
    let parent =
        (!parent.is_empty()).then(|| department_named(parent, "", directory, new_departments));
    let department = Department {
        id: directory.free_id(name),
        name: name.into(),
        parent,
    };
    directory
        .departments
        .insert(department.id.clone(), department.clone());
    new_departments.push(department.clone());
    department.id
}

fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// RFC 4180 fields: commas, quotes doubled inside quoted fields, CRLF or LF line ends.
fn parse(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let (mut line, mut quoted_from) = (1, None);
    while let Some(c) = chars.next() {
        match (quoted_from.is_some(), c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted_from = None,
            (true, c) => {
                line += usize::from(c == '\n');
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted_from = Some(line),
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                line += 1;
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if let Some(start) = quoted_from {
        return Err(CsvError::UnclosedQuote(start));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// The directory as CSV, in the columns an import reads back.
pub fn export(directory: &Directory) -> String {
    let mut out = String::from("name,email,department,manager,role,parent_department\n");
    for person in directory.people.values() {
        let department = directory.departments.get(&person.department);
        let parent = department
            .and_then(|d| d.parent.as_ref())
            .and_then(|p| directory.departments.get(p))
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let fields = [
            person.name.clone(),
            person.email.clone(),
            department.map(|d| d.name.clone()).unwrap_or_default(),
            person.manager.clone().unwrap_or_default(),
            person.role.as_str().to_string(),
            parent,
        ];
        out.push_str(&csv::row(&fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "姓名,邮箱,部门,上级,角色,上级部门\n\
        张三,zhangsan@example.cn,信息技术部,,lead,总部\n\
        李四,lisi@example.cn,信息技术部,zhangsan@example.cn,agent,\n\
        \"Wang, Fang\",wang@example.cn,财务部,zhangsan@example.cn,,总部\n";

    #[test]
    fn a_chinese_file_with_a_bom_becomes_people_and_a_department_tree() {
        let bytes = [b"\xef\xbb\xbf".as_slice(), FILE.as_bytes()].concat();
        let preview = preview_import(&bytes, &Directory::default()).unwrap();
        assert_eq!(preview.errors, vec![]);
        assert_eq!(preview.added.len(), 3);
        let names: Vec<&str> = preview
            .new_departments
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(names, ["总部", "信息技术部", "财务部"]);
        let directory = preview.apply().unwrap();
        assert_eq!(directory.people["wang@example.cn"].name, "Wang, Fang");
        assert_eq!(directory.people["lisi@example.cn"].role, Role::Agent);
        let it = &directory.departments[&DepartmentId("信息技术部".into())];
        assert_eq!(it.parent, Some(DepartmentId("总部".into())));

        // Exported and imported again: nobody is duplicated, nothing changes.
        let again = preview_import(export(&directory).as_bytes(), &directory).unwrap();
        assert_eq!(
            (again.added.len(), again.updated.len(), again.unchanged),
            (0, 0, 3)
        );
    }

    #[test]
    fn reimporting_updates_people_by_email() {
        let directory = preview_import(FILE.as_bytes(), &Directory::default())
            .unwrap()
            .apply()
            .unwrap();
        let moved = "name,email,department\n李四,LISI@example.cn,财务部\n";
        let preview = preview_import(moved.as_bytes(), &directory).unwrap();
        assert_eq!((preview.added.len(), preview.updated.len()), (0, 1));
        let after = preview.apply().unwrap();
        assert_eq!(after.people.len(), 3);
        assert_eq!(
            after.people["lisi@example.cn"].department,
            DepartmentId("财务部".into())
        );
    }

    #[test]
    fn every_bad_row_is_listed_and_nothing_is_applied() {
        let file = "name,email,department,manager,role\n\
            ,a@example.cn,IT,,\n\
            Bo,not-an-email,IT,,\n\
            Cy,c@example.cn,IT,,boss\n\
            Di,d@example.cn,IT,e@example.cn,\n\
            Ed,e@example.cn,IT,d@example.cn,\n\
            Fa,d@example.cn,HR,,\n\
            Gu,g@example.cn,IT,nobody@example.cn,\n";
        let preview = preview_import(file.as_bytes(), &Directory::default()).unwrap();
        let lines: Vec<(usize, String)> = preview
            .errors
            .iter()
            .map(|e| (e.line, e.problem.to_string()))
            .collect();
        assert!(lines.contains(&(2, "name is empty".into())), "{lines:?}");
        assert!(lines.contains(&(3, "\"not-an-email\" is not an email address".into())));
        assert!(lines
            .iter()
            .any(|(l, p)| *l == 4 && p.contains("unknown role")));
        assert!(lines
            .iter()
            .any(|(l, p)| *l == 5 && p.contains("managers comes back")));
        assert!(lines
            .iter()
            .any(|(l, p)| *l == 6 && p.contains("managers comes back")));
        assert!(lines.contains(&(7, "d@example.cn appears earlier in the file".into())));
        assert!(lines
            .iter()
            .any(|(l, p)| *l == 8 && p.contains("not in the directory")));
        assert!(
            preview.apply().is_err(),
            "nothing is applied while any row is wrong"
        );
    }

    #[test]
    fn files_that_cannot_be_read_say_why() {
        let gbk = [0xd5, 0xc5, 0xc8, 0xfd, b',', b'a', b'\n'];
        assert_eq!(
            preview_import(&gbk, &Directory::default()),
            Err(CsvError::NotUtf8)
        );
        assert_eq!(
            preview_import(b"", &Directory::default()),
            Err(CsvError::Empty)
        );
        assert_eq!(
            preview_import("姓名,电话\n张三,123\n".as_bytes(), &Directory::default()),
            Err(CsvError::MissingColumns("email, department".into()))
        );
        assert_eq!(
            preview_import(
                b"name,email,department\n\"open,a@b.cn,IT\n",
                &Directory::default()
            ),
            Err(CsvError::UnclosedQuote(2))
        );
    }
}
