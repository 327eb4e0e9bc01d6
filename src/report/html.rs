//! The report's HTML: one page, inline styles, no scripts or network.

use arrow_array::RecordBatch;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn table_html(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(&format!("<td>{}</td>", escape(c)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>\n");
    out
}

/// A table's first `max_rows` rows.
pub fn batch_html(batch: &RecordBatch, max_rows: usize) -> String {
    let schema = batch.schema();
    let header: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let columns: Vec<Vec<String>> = header
        .iter()
        .map(|h| super::columns::labels(batch, h).unwrap_or_default())
        .collect();
    let rows: Vec<Vec<String>> = (0..batch.num_rows().min(max_rows))
        .map(|i| columns.iter().map(|c| c.get(i).cloned().unwrap_or_default()).collect())
        .collect();
    table_html(&header, &rows)
}

pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>\nbody{{font-family:sans-serif;margin:2em;max-width:1300px;color:#222}}\nsection{{border-top:1px solid #ccc;margin-top:2em}}\ntable{{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}}\ntd,th{{border:1px solid #ddd;padding:2px 6px;text-align:left}}\nfigure{{margin:1em 0}}\nfigcaption{{font-weight:bold}}\n.data{{font-size:0.75em;color:#666;word-break:break-all}}\nsmall{{color:#888;font-weight:normal}}\n.holds{{color:#1a7f37;font-weight:bold}}\n.fails{{color:#c62828;font-weight:bold}}\n.svg svg{{max-width:100%;height:auto}}\n</style></head>\n<body><h1>{t}</h1>\n{body}</body></html>\n",
        t = escape(title)
    )
}
