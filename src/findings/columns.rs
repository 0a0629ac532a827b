//! Matching a sheet's headers to the rules' fields: by field id or by the
//! Chinese name, ignoring case and spaces, like frame headers.

use crate::error::{Diags, excerpt};
use crate::findings::table::Sheet;
use crate::frame::normalize_header;
use crate::rules::Field;

/// What each column of a sheet holds.
#[derive(Debug, Clone)]
pub struct Columns<'r> {
    /// Columns of named roles (code, inspector, …), by role name.
    pub roles: Vec<(&'static str, usize)>,
    pub fields: Vec<(usize, &'r Field)>,
}

impl Columns<'_> {
    pub fn role(&self, name: &str) -> Option<usize> {
        self.roles.iter().find(|(r, _)| *r == name).map(|(_, c)| *c)
    }
}

/// Forms show units in the header, `出生人数（人）`; matching ignores them.
pub fn strip_unit(h: &str) -> &str {
    let t = h.trim();
    for (open, close) in [('（', '）'), ('(', ')')] {
        if t.ends_with(close)
            && let Some(i) = t.rfind(open)
            && i > 0
        {
            return &t[..i];
        }
    }
    t
}

/// A role column and the headers that name it.
pub struct Role {
    pub name: &'static str,
    pub headers: Vec<String>,
    pub required: bool,
}

/// Maps headers to roles and fields. Headers in `ignore` are allowed and
/// unused; any other header is an error, as is a missing required role.
pub fn map<'r>(
    sheet: &Sheet,
    roles: &[Role],
    fields: &[&'r Field],
    ignore: &[String],
) -> Result<Columns<'r>, Diags> {
    let mut diags = Diags::default();
    let mut cols = Columns { roles: Vec::new(), fields: Vec::new() };
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, h) in sheet.header.iter().enumerate() {
        // A header of a CSV spotcheck wrote may carry its defusing quote.
        let norm = normalize_header(strip_unit(crate::cell::restore(h)));
        if norm.is_empty() {
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == norm) {
            diags.push(sheet.diag(
                sheet.header_row,
                Some(i),
                format!(
                    "duplicate header `{}` (same as column {})",
                    excerpt(h),
                    crate::findings::table::column_letters(*first)
                ),
            ));
            continue;
        }
        seen.push((norm.clone(), i));
        if let Some(role) = roles.iter().find(|r| r.headers.iter().any(|x| normalize_header(x) == norm)) {
            cols.roles.push((role.name, i));
        } else if let Some(f) =
            fields.iter().find(|f| normalize_header(&f.id) == norm || normalize_header(&f.name) == norm)
        {
            cols.fields.push((i, *f));
        } else if !ignore.iter().any(|x| normalize_header(x) == norm) {
            let known: Vec<String> = roles
                .iter()
                .map(|r| r.headers[0].clone())
                .chain(fields.iter().map(|f| f.name.clone()))
                .collect();
            diags.push(sheet.diag(
                sheet.header_row,
                Some(i),
                format!("unknown header `{}` (expected: {})", excerpt(h), known.join(", ")),
            ));
        }
    }
    for role in roles.iter().filter(|r| r.required) {
        if cols.role(role.name).is_none() {
            diags.push(sheet.diag(sheet.header_row, None, format!("missing column `{}`", role.headers[0])));
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(cols) }
}
