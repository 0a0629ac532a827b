//! Every validation rule has a bad-input fixture; its diagnostics are
//! snapshotted in a `.expected` file beside it.

use std::path::Path;

use spotcheck::frame::{self, FrameSchema};
use spotcheck::text::Encoding;
use spotcheck::{Error, rules, sample};

use crate::support::{check_dir, data};

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().to_string()
}

fn render(result: Result<spotcheck::Diags, Error>) -> String {
    match result {
        Ok(warnings) => warnings.to_string(),
        Err(Error::Invalid(d)) => d.to_string(),
        Err(e) => format!("{e}\n"),
    }
}

#[test]
fn frame_errors() {
    let schema = FrameSchema {
        county_code: Some("county_code".into()),
        township_code: Some("township_code".into()),
        sizes: vec!["population".into(), "households".into()],
        ..FrameSchema::default()
    };
    check_dir(&data("frame/err"), "csv", |p| {
        let bytes = std::fs::read(p).unwrap();
        let (_, diags) = frame::from_bytes(&name(p), &bytes, &schema, Encoding::Auto);
        assert!(diags.has_errors(), "{} should be rejected", p.display());
        diags.sorted().to_string()
    });
}

#[test]
fn rules_errors() {
    check_dir(&data("rules/err"), "toml", |p| {
        let r = rules::load(p, &name(p)).map(|_| spotcheck::Diags::default());
        let weak_seed_only_warns = name(p) == "weak_seed.toml";
        assert!(r.is_err() || weak_seed_only_warns, "{} should be rejected", p.display());
        render(r)
    });
}

#[test]
fn rules_that_are_fine_load_without_diagnostics() {
    for entry in std::fs::read_dir(data("rules/ok")).unwrap() {
        let p = entry.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let (r, d) = rules::parse(&name(&p), &text);
        assert!(r.is_some() && d.is_empty(), "{}: {d}", p.display());
    }
}

#[test]
fn design_errors_against_the_frame() {
    check_dir(&data("design/err"), "toml", |p| {
        let own_frame = p.with_extension("csv");
        let frame_path = if own_frame.exists() { own_frame } else { data("design/frame.csv") };
        let r = rules::load(p, &name(p)).unwrap();
        let f = frame::load(&frame_path, "frame.csv", &r.frame, Encoding::Auto).unwrap();
        render(sample::check(&r, &f))
    });
}
