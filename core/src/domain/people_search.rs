//! Finding people and departments the way Chinese users type: by characters (张三), by pinyin
//! (`zhangsan`, `zhang san`), by pinyin initials (`zs`), and by English name or email.

use super::directory::{DepartmentId, Directory};
use super::search::fold;

/// The pinyin table `build.rs` writes (see there).
mod readings {
    include!(concat!(env!("OUT_DIR"), "/pinyin_syllables.rs"));
    pub static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pinyin_readings.bin"));
}

/// The toneless pinyin of a Chinese character (`张` → `zhang`), if the table has one.
fn pinyin_of(c: char) -> Option<&'static str> {
    let at = 2 * (c as u32).checked_sub(readings::FIRST)? as usize;
    let bytes = readings::TABLE.get(at..at + 2)?;
    let number = u16::from_le_bytes([bytes[0], bytes[1]]);
    let index = usize::from(number).checked_sub(1)?;
    readings::SYLLABLES.get(index).copied()
}

/// What a name can be found by, computed once when the directory loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKeys {
    /// The name, email and anything else given, folded (case, full-width) and without spaces.
    text: String,
    /// Pinyin of every Chinese character, other characters as they are: `zhangsan`.
    spelled: String,
    /// First letters of each Chinese character's pinyin, other letters kept: `zs`.
    initials: String,
}

impl NameKeys {
    /// Keys for a name plus other words it should be found by (email, department…).
    pub fn of(name: &str, also: &[&str]) -> Self {
        let mut text = compact(name);
        for word in also {
            text.push(' ');
            text.push_str(&compact(word));
        }
        let (mut spelled, mut initials) = (String::new(), String::new());
        for c in name.chars() {
            match pinyin_of(c) {
                Some(p) => {
                    spelled.push_str(p);
                    initials.push_str(&p[..1]);
                }
                None if c.is_alphanumeric() => {
                    let folded = fold(&c.to_string());
                    spelled.push_str(&folded);
                    initials.push_str(&folded);
                }
                None => {}
            }
        }
        Self {
            text,
            spelled,
            initials,
        }
    }

    /// True if the query names this person: a part of the name or email, of its pinyin, or of its
    /// initials. An empty query matches everyone.
    pub fn matches(&self, query: &str) -> bool {
        let query = compact(query);
        query.is_empty()
            || self.text.contains(&query)
            || self.spelled.contains(&query)
            || self.initials.starts_with(&query)
    }
}

/// A directory made searchable: keys computed once, then every keystroke only compares strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorySearch {
    departments: Vec<(DepartmentId, NameKeys)>,
    people: Vec<(String, NameKeys)>,
}

impl DirectorySearch {
    pub fn new(directory: &Directory) -> Self {
        let departments = directory
            .departments
            .values()
            .map(|d| (d.id.clone(), NameKeys::of(&d.name, &[&d.id.0])))
            .collect();
        let people = directory
            .people
            .values()
            .map(|p| {
                let department = directory
                    .departments
                    .get(&p.department)
                    .map_or(p.department.0.as_str(), |d| d.name.as_str());
                (
                    p.email.clone(),
                    NameKeys::of(&p.name, &[&p.email, department]),
                )
            })
            .collect();
        Self {
            departments,
            people,
        }
    }

    /// Departments whose name matches the query, in directory order.
    pub fn departments(&self, query: &str) -> Vec<DepartmentId> {
        self.departments
            .iter()
            .filter(|(_, keys)| keys.matches(query))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The emails of at most `limit` people the query names, in directory order.
    pub fn people(&self, query: &str, limit: usize) -> Vec<String> {
        self.people
            .iter()
            .filter(|(_, keys)| keys.matches(query))
            .take(limit)
            .map(|(email, _)| email.clone())
            .collect()
    }
}

fn compact(text: &str) -> String {
    fold(text).chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_are_found_by_characters_pinyin_and_initials() {
        let zhang = NameKeys::of("张三", &["zhang.san@example.cn", "信息技术部"]);
        for query in [
            "张",
            "张三",
            "zhangsan",
            "Zhang San",
            "zhang",
            "zs",
            "ZS",
            "z",
            "zhang.san@",
            "信息",
        ] {
            assert!(zhang.matches(query), "{query}");
        }
        for query in ["lisi", "ls", "sz", "张四"] {
            assert!(!zhang.matches(query), "{query}");
        }
    }

    #[test]
    fn english_and_mixed_names_work_too() {
        let ann = NameKeys::of("Ann Lee", &["ann@example.com"]);
        assert!(ann.matches("ann"));
        assert!(ann.matches("annlee"));
        assert!(ann.matches("ＡＮＮ"), "full-width letters fold");
        let mixed = NameKeys::of("王Fang", &[]);
        assert!(mixed.matches("wangfang"));
        assert!(mixed.matches("wf"));
        assert!(NameKeys::of("欧阳娜娜", &[]).matches("oyn"));
    }

    #[test]
    fn a_directory_is_searched_by_person_department_and_pinyin() {
        let file = "姓名,邮箱,部门\n张三,zs@x.cn,信息技术部\n张珊,zshan@x.cn,财务部\nAnn Lee,ann@x.cn,财务部\n";
        let directory =
            crate::domain::people_csv::preview_import(file.as_bytes(), &Directory::default())
                .unwrap()
                .apply()
                .unwrap();
        let search = DirectorySearch::new(&directory);
        assert_eq!(search.people("zs", 10), ["zs@x.cn", "zshan@x.cn"]);
        assert_eq!(search.people("zhangshan", 10), ["zshan@x.cn"]);
        assert_eq!(
            search.people("cwb", 10),
            Vec::<String>::new(),
            "initials are of names only"
        );
        assert_eq!(search.people("财务", 10), ["ann@x.cn", "zshan@x.cn"]);
        assert_eq!(search.people("zs", 1).len(), 1);
        assert_eq!(
            search.departments("xxjs"),
            [DepartmentId("信息技术部".into())]
        );
        assert_eq!(search.departments("财务").len(), 1);
    }
}
