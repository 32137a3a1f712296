//! Files in and out of the page: a download made from text, the bytes of a chosen file, text to
//! the clipboard.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Offers text to the browser as a downloaded CSV file.
pub fn save_file(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(link) = document().create_element("a") {
        let link: web_sys::HtmlAnchorElement = link.unchecked_into();
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Puts text on the clipboard; true if the browser took it. Where the Clipboard API is missing
/// (a page served over plain HTTP from another machine), the text of the input is selected and
/// copied the old way.
pub async fn copy_text(text: &str, input: Option<&web_sys::HtmlInputElement>) -> bool {
    let clipboard = window().navigator().clipboard();
    let promise = clipboard.write_text(text);
    if JsFuture::from(promise).await.is_ok() {
        return true;
    }
    let Some(input) = input else {
        return false;
    };
    input.select();
    document()
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()
        .and_then(|d| d.exec_command("copy").ok())
        .unwrap_or(false)
}

/// The name and bytes of the file chosen in an `<input type="file">`, if one was chosen and could be read.
pub async fn chosen_file(input: &web_sys::HtmlInputElement) -> Option<(String, Vec<u8>)> {
    let file = input.files()?.get(0)?;
    let buffer = JsFuture::from(file.array_buffer()).await.ok()?;
    Some((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()))
}

/// Offers a table on the page as a CSV file, cell by cell as shown (for tables whose figures have
/// no export of their own).
pub fn save_table(table_id: &str, name: &str) {
    let Some(table) = document().get_element_by_id(table_id) else {
        return;
    };
    let Ok(rows) = table.query_selector_all("tr") else {
        return;
    };
    let mut csv = String::new();
    for r in 0..rows.length() {
        let Some(row) = rows
            .item(r)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let Ok(cells) = row.query_selector_all("th, td") else {
            continue;
        };
        let texts: Vec<String> = (0..cells.length())
            .filter_map(|c| cells.item(c)?.text_content())
            .map(|t| t.trim().to_string())
            .collect();
        csv.push_str(&crate::csv::row(&texts));
    }
    save_file(name, &csv);
}
