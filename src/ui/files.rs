//! Files in and out of the page: a download made from text, and the bytes of a chosen file.

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
