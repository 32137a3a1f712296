//! Finding people and departments the way Chinese users type: by characters (张三), by pinyin
//! (`zhangsan`, `zhang san`), by pinyin initials (`zs`), and by English name or email.

use super::search::fold;
use pinyin::ToPinyin;

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
        for (c, reading) in name.chars().zip(name.to_pinyin()) {
            match reading {
                Some(p) => {
                    spelled.push_str(p.plain());
                    initials.push_str(p.first_letter());
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
}
