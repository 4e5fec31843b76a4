//! Links out of a page, by hand: the subset of HTML a crawler of this fake
//! web needs, and no HTML crate.

/// The `href` values of the `<a>` tags of `html`, in document order,
/// duplicates kept, each as written (not yet resolved against the page).
///
/// The subset (see the crate documentation, "Link extraction"): tag and
/// attribute names in any case; `href="..."` or `href='...'` among other
/// attributes; `&amp;` in a value decoded to `&`; an unquoted value, an `<a>`
/// without `href`, other tags (`<link>`, `<area>`, `<abbr>`) and anything
/// inside `<!-- ... -->` give nothing (an unterminated comment runs to the
/// end of the page).
pub fn extract_links(html: &str) -> Vec<String> {
    let bytes = html.as_bytes();
    let mut links = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"<!--") {
            i = html[i + 4..]
                .find("-->")
                .map_or(bytes.len(), |end| i + 4 + end + 3);
            continue;
        }
        let is_a = bytes[i] == b'<'
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.eq_ignore_ascii_case(&b'a'))
            && bytes
                .get(i + 2)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/');
        if !is_a {
            i += 1;
            continue;
        }
        let (href, end) = attributes(html, i + 2);
        if let Some(href) = href {
            links.push(href.replace("&amp;", "&"));
        }
        i = end;
    }
    links
}

/// Reads a tag's attributes from `start` to its `>`; the first quoted `href`
/// and where the tag ends.
fn attributes(html: &str, mut i: usize) -> (Option<String>, usize) {
    let bytes = html.as_bytes();
    let mut href = None;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (href, i);
        }
        if bytes[i] == b'>' {
            return (href, i + 1);
        }
        let name_start = i;
        while i < bytes.len() && !b" \t\r\n=>/".contains(&bytes[i]) {
            i += 1;
        }
        let name = &html[name_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            Some(&quote @ (b'"' | b'\'')) => {
                let value_start = i + 1;
                let value_end = html[value_start..]
                    .find(quote as char)
                    .map_or(bytes.len(), |n| value_start + n);
                if href.is_none() && name.eq_ignore_ascii_case("href") {
                    href = Some(html[value_start..value_end].to_owned());
                }
                i = (value_end + 1).min(bytes.len());
            }
            _ => {
                // Unquoted: outside the subset, skipped.
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
            }
        }
    }
}
