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
    // TODO: scan for `<!--` (skip to `-->`, or to the end) and for `<a`
    // followed by whitespace, `/` or `>`; read the tag's attributes up to
    // its `>`, honouring quotes.
    todo!("extract the href of every <a> tag")
}
