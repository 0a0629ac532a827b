//! The household stage of the rules (`[households]`): how many households a
//! team visits in each sampled village (`k`), how many reserve numbers the
//! published list holds for households that cannot be visited, which frame
//! column holds a village's household count, how far beyond that count the
//! list reaches (`cap_percent`), and the register the numbers count in
//! (户籍册, 花名册). SAMPLING.md §16 specifies the list; the fields a team
//! records at each door are `[[field]]`s with `level = "household"`.

use super::inspection::{FieldLevel, Inspection, Kind};
use super::reader::{Reader, Table};
use crate::error::{Diag, Loc};
use crate::frame::FrameSchema;

/// The household stage as the rules give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdStage {
    /// Households to visit in each sampled village.
    pub k: u64,
    /// Numbers listed beyond the k, for households that cannot be visited.
    pub reserve: u64,
    /// The frame size column with each village's number of households.
    pub size: String,
    /// The list covers the numbers 1 … ⌈households × cap_percent / 100⌉ (at
    /// least k + reserve), so that a register somewhat larger than the
    /// frame's count is still sampled at random.
    pub cap_percent: u64,
    /// The register the numbers count in, as printed on the forms.
    pub register: String,
    pub register_en: Option<String>,
    pub basis: Option<String>,
    pub loc: Loc,
}

/// The largest list cap: a village has far fewer households, and the cap
/// keeps every stream value below 2^32 (SAMPLING.md §16).
pub const MAX_CAP: u64 = 1 << 32;

/// `cap_percent` when the rules do not set it.
pub const DEFAULT_CAP_PERCENT: u64 = 150;

impl HouseholdStage {
    /// The list's cap K for a village of `households` households in the
    /// frame: ⌈households × cap_percent / 100⌉, at least k + reserve.
    pub fn cap(&self, households: u64) -> u128 {
        let scaled = (u128::from(households) * u128::from(self.cap_percent)).div_ceil(100);
        scaled.max(u128::from(self.k) + u128::from(self.reserve))
    }

    /// The numbers the list must hold within the frame's count: k + reserve.
    pub fn wanted(&self) -> u64 {
        self.k + self.reserve
    }
}

const HOUSEHOLDS: &[&str] = &["k", "reserve", "size", "cap_percent", "register", "register_en", "basis"];

/// Reads `[households]`, if present.
pub fn read(r: &mut Reader<'_>, top: Table<'_, '_>, frame: &FrameSchema) -> Option<HouseholdStage> {
    let t = r.table(top, "households", "households", false)?;
    r.known_keys(t, HOUSEHOLDS);
    let loc = r.loc(t.span.0);
    let k = r.uint(t, "k", true);
    let reserve = r.uint(t, "reserve", false).map_or(0, |v| v.0);
    let size = r.string(t, "size", true);
    let cap = r.uint(t, "cap_percent", false);
    let register = r.string(t, "register", true).map(|v| v.0).unwrap_or_default();
    let register_en = r.string(t, "register_en", false).map(|v| v.0);
    let basis = r.string(t, "basis", false).map(|v| v.0);
    if let Some((0, l)) = k {
        r.diags.push(Diag::error(&r.file, Some(l), "[households] `k` must be at least 1"));
    }
    if let Some((c, l)) = cap
        && c < 100
    {
        r.diags.push(Diag::error(
            &r.file,
            Some(l),
            format!(
                "[households] `cap_percent` is {c}, below 100: the list must reach at least the frame's count of households"
            ),
        ));
    }
    if let Some((s, l)) = &size
        && frame.size_index(s).is_none()
    {
        r.diags.push(Diag::error(
            &r.file,
            Some(*l),
            format!("[households] size column `{s}` is not among [frame] sizes ({})", frame.sizes.join(", ")),
        ));
    }
    if register.trim().is_empty() && r.get(t, "register").is_some() {
        r.err_at(t.span.0..t.span.1, "[households] `register` must name the register (户籍册, 花名册)");
    }
    Some(HouseholdStage {
        k: k.map_or(1, |v| v.0.max(1)),
        reserve,
        size: size?.0,
        cap_percent: cap.map_or(DEFAULT_CAP_PERCENT, |v| v.0.max(100)),
        register,
        register_en,
        basis,
        loc,
    })
}

/// Checks the household fields against the stage: they need `[households]`,
/// only teams record them (`reported = false`), a `checks` names a reported
/// yes/no village field; a stage without household fields is warned about,
/// since it records nothing at the door.
pub fn check(file: &str, stage: Option<&HouseholdStage>, ins: &Inspection) -> Vec<Diag> {
    let mut out = Vec::new();
    let household: Vec<_> = ins.fields.iter().filter(|f| f.level == FieldLevel::Household).collect();
    match stage {
        None => {
            for f in &household {
                out.push(Diag::error(
                    file,
                    Some(f.loc),
                    format!(
                        "field `{}` has level = \"household\", but the rules have no [households] stage to visit households",
                        f.id
                    ),
                ));
            }
        }
        Some(s) if household.is_empty() => out.push(Diag::warning(
            file,
            Some(s.loc),
            "[households] without a [[field]] of level = \"household\": teams visit the listed households but record nothing at the door",
        )),
        Some(_) => {}
    }
    for f in &household {
        if f.reported {
            out.push(Diag::error(
                file,
                Some(f.loc),
                format!(
                    "household field `{}`: counties do not report households; set reported = false (the household's answer is checked against a village's report with `checks`)",
                    f.id
                ),
            ));
        }
        if matches!(f.kind, Kind::Amount | Kind::Date | Kind::Text) {
            out.push(Diag::error(
                file,
                Some(f.loc),
                format!(
                    "household field `{}` is a {}; household fields are yesno, choice or count (no free text: the files hold household numbers, never names)",
                    f.id,
                    f.kind.name()
                ),
            ));
        }
        if f.max_per_size.is_some() {
            out.push(Diag::error(
                file,
                Some(f.loc),
                format!(
                    "household field `{}`: `max_per_size` compares with a village's frame size; use `max`",
                    f.id
                ),
            ));
        }
        if let Some(c) = &f.checks {
            match ins.field(c) {
                Some(v) if v.level == FieldLevel::Village && v.kind == Kind::YesNo && v.reported => {
                    if f.kind != Kind::YesNo {
                        out.push(Diag::error(
                            file,
                            Some(f.loc),
                            format!("household field `{}`: `checks` needs a yesno household field", f.id),
                        ));
                    }
                }
                _ => out.push(Diag::error(
                    file,
                    Some(f.loc),
                    format!(
                        "household field `{}`: `checks = \"{c}\"` must name a village-level yesno field that counties report",
                        f.id
                    ),
                )),
            }
        }
    }
    for f in ins.fields.iter().filter(|f| f.level != FieldLevel::Household) {
        if f.checks.is_some() {
            out.push(Diag::error(
                file,
                Some(f.loc),
                format!("field `{}`: `checks` is for household fields", f.id),
            ));
        }
        if f.kind == Kind::Choice {
            out.push(Diag::error(
                file,
                Some(f.loc),
                format!("field `{}`: kind = \"choice\" is for household fields (a household's answer)", f.id),
            ));
        }
    }
    out
}

/// A stage for unit tests: k, reserve and cap_percent, counted in the
/// 户籍册 by the frame's `户数`.
#[cfg(test)]
pub(crate) fn stage(k: u64, reserve: u64, cap_percent: u64) -> HouseholdStage {
    HouseholdStage {
        k,
        reserve,
        size: "户数".into(),
        cap_percent,
        register: "户籍册".into(),
        register_en: None,
        basis: None,
        loc: Loc::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_rounds_up_and_holds_the_list() {
        let s = stage(15, 10, 150);
        assert_eq!(s.cap(231), 347); // 346.5 rounds up
        assert_eq!(s.cap(10), 25); // at least k + reserve
        assert_eq!(s.cap(0), 25);
        assert_eq!(stage(1, 0, 100).cap(u64::MAX), u128::from(u64::MAX));
    }
}
