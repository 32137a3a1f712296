//! Writing CSV for spreadsheets: RFC 4180 quoting, and cells that a spreadsheet would run as a
//! formula neutralised.
//!
//! Excel, WPS and LibreOffice run a cell that starts with `=`, `+`, `-` or `@` (and, in some, a
//! tab or carriage return) as a formula, so a ticket title like `=HYPERLINK("http://…")` would
//! run on whoever opens the export. Such a cell is written with a leading `'`, which spreadsheets
//! show as text; plain numbers such as `-3.5` are left as they are. The full-width forms used in
//! Chinese input (`＝ ＋ － ＠`) are treated the same, as some spreadsheets accept them too.

/// One CSV line (with its line end), each cell neutralised and quoted where it must be.
pub fn row(cells: &[String]) -> String {
    let written: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    written.join(",") + "\n"
}

/// One cell as written.
pub fn cell(text: &str) -> String {
    let text = if runs_as_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A cell read back from a file this module wrote (or a spreadsheet saved): the neutralising
/// `'` taken off again, so exporting and re-importing changes nothing.
pub fn read_cell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if runs_as_formula(rest) => rest,
        _ => text,
    }
}

const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

fn runs_as_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS) && !is_plain_number(text)
}

/// `-3`, `+0.25`, `-1e3`: what a spreadsheet reads as a number, not a formula.
fn is_plain_number(text: &str) -> bool {
    text.len() > 1 && text.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_written_as_text_and_numbers_stay_numbers() {
        for formula in [
            "=HYPERLINK(\"http://evil.example\",\"点我\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tcmd",
            "＝1+1",
            "-",
        ] {
            let written = cell(formula);
            assert!(
                written.starts_with('\'') || written.starts_with("\"'"),
                "{formula:?} → {written:?}"
            );
        }
        assert_eq!(cell("=1,2"), "\"'=1,2\"");
        for number in ["-3.5", "+2", "-0.4", "1e3", "42"] {
            assert_eq!(cell(number), number);
        }
        assert_eq!(cell("-inf"), "'-inf");
        assert_eq!(cell("Wang, Fang"), "\"Wang, Fang\"");
        assert_eq!(
            row(&["=cmd|' /C calc'!A0".into(), "VPN".into()]),
            "'=cmd|' /C calc'!A0,VPN\n"
        );
    }

    #[test]
    fn a_neutralised_cell_reads_back_as_it_was() {
        for text in ["=1+1", "@home", "-2+3", "'quoted", "-3.5", "plain"] {
            assert_eq!(read_cell(cell(text).trim_matches('"')), text);
        }
    }
}
