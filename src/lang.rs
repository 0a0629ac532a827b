//! The language of everything people read: reports, forms and terminal
//! tables. Chinese is the default; `--lang en` switches every word. Each
//! phrase is written in both languages where it is used, through
//! [`Lang::t`]; the vocabulary shared by several outputs (measure words,
//! evidence standards, comparisons, risks, how numbers print) is here.
//! Names from the rules (fields, measures, indicators, vetoes, campaigns)
//! come from [`crate::rules::names`].

/// The language of a report, form or table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code written in records and in HTML's `lang`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The phrase in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The separator of a list: 、 in Chinese, a comma in English.
    pub fn list_sep(self) -> &'static str {
        self.t("、", ", ")
    }

    /// The separator between clauses: ； or ; .
    pub fn clause_sep(self) -> &'static str {
        self.t("；", "; ")
    }
}

/// A share as a percentage with two decimals: `19.48%`. Never `-0.00%`.
pub fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0 + 0.0)
}

/// Points with two decimals, as scoring sheets print them. Never `-0.00`.
pub fn points(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    format!("{:.2}", r + 0.0)
}

/// A number for people: whole numbers without decimals, others with two.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if (x - x.round()).abs() < 1e-9 && x.abs() < 1e15 {
        format!("{}", x.round() as i64)
    } else {
        format!("{:.2}", x + 0.0)
    }
}

/// What a trail step did to the points: `扣2.50分` / `+0.40`; nothing for
/// a step that moved none.
pub fn delta(x: f64, lang: Lang) -> Option<String> {
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 {
        return None;
    }
    Some(match lang {
        Lang::Zh if r < 0.0 => format!("扣{}分", points(-r)),
        Lang::Zh => format!("加{}分", points(r)),
        Lang::En if r < 0.0 => format!("−{}", points(-r)),
        Lang::En => format!("+{}", points(r)),
    })
}

/// A confidence as people read it: `95%`, `97.5%`.
pub fn level(l: f64) -> String {
    let s = format!("{:.1}", l * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

/// The risk of a wrong verdict as people read it.
pub fn risk(r: f64, lang: Lang) -> String {
    if r < 0.0001 {
        lang.t("低于0.01%", "below 0.01%").to_string()
    } else if r >= 0.5 {
        lang.t("50%或以上", "50% or more").to_string()
    } else {
        format!("{:.2}%", r * 100.0)
    }
}

/// A comparison in words: `超过` / `above`.
pub fn op(op: &str, lang: Lang) -> &'static str {
    match op {
        ">" => lang.t("超过", "above"),
        ">=" => lang.t("不低于", "at least"),
        "<" => lang.t("低于", "below"),
        "<=" => lang.t("不超过", "at most"),
        "=" | "==" => lang.t("等于", "equal to"),
        _ => lang.t("不等于", "not equal to"),
    }
}

/// The name of an evidence standard (SCORING.md §5).
pub fn evidence(bound: bool, lang: Lang) -> &'static str {
    match bound {
        false => lang.t("点估计", "estimate"),
        true => lang.t("置信限", "bound"),
    }
}

/// How an interval was obtained, for people: `t` and logit `t` with their
/// degrees of freedom, or the name of the exact method used instead. The
/// ids (`stringer`, `clopper-pearson`, …) stay in JSON and CSV.
pub fn method(id: &str, df: usize, lang: Lang) -> String {
    match (id, lang) {
        ("t", Lang::Zh) => format!("t分布，自由度{df}"),
        ("t", Lang::En) => format!("t, {df} df"),
        ("logit-t", Lang::Zh) => format!("logit变换的t分布，自由度{df}"),
        ("logit-t", Lang::En) => format!("logit t, {df} df"),
        _ => method_name(id, lang).to_string(),
    }
}

/// The name of an interval method (SCORING.md §6) by its id; an unknown id
/// as it is.
pub fn method_name(id: &str, lang: Lang) -> &str {
    match id {
        "t" => lang.t("t分布", "t"),
        "logit-t" => lang.t("logit变换的t分布", "logit t"),
        "stringer" => lang.t("斯特林格界", "Stringer bound"),
        "clopper-pearson" | "cp" => lang.t("克洛珀–皮尔逊精确区间", "Clopper–Pearson exact interval"),
        "poisson-exact" | "garwood" => lang.t("泊松精确区间（Garwood）", "exact Poisson (Garwood) interval"),
        "attribute" => lang.t("属性抽样界", "attribute-sampling bound"),
        "wilson" => lang.t("威尔逊得分区间", "Wilson score interval"),
        other => other,
    }
}

/// The words for a measure of a field (`births` + `error_rate`), as the
/// suffixes of SCORING.md §3 name them; and whether the measure is a share
/// (printed as a percentage).
pub fn measure_word(suffix: &str, lang: Lang) -> Option<(&'static str, bool)> {
    let (zh, en, share) = match suffix {
        "reported" => ("（上报）", "(reported)", false),
        "verified" => ("（核实）", "(verified)", false),
        "ht" => ("HT估计数", "Horvitz–Thompson estimate", false),
        "ratio" => ("核实与上报之比", "ratio found / reported", false),
        "accuracy" => ("求实率", "accuracy", true),
        "error_rate" => ("误差率", "error rate", true),
        "under_rate" => ("漏报率", "under-report rate", true),
        "over_rate" => ("多报率", "over-report rate", true),
        "found_weighted" => ("样本加权核实数", "found, weighted", false),
        "reported_weighted" => ("样本加权上报数", "reported, weighted", false),
        "found_sample" => ("抽查合计", "found in the sampled villages", false),
        "reported_sample" => ("样本村上报合计", "reported for the sampled villages", false),
        "found_omitted" => ("漏报村抽查数", "found in villages left out of the report", false),
        "omitted_ht" => ("漏报村估计数", "estimate for villages left out of the report", false),
        "df" => ("自由度", "degrees of freedom", false),
        "verified_se" => ("核实估计标准误", "standard error of the verified estimate", false),
        "ratio_se" => ("比率标准误", "standard error of the ratio", false),
        "ht_se" => ("HT标准误", "standard error of the Horvitz–Thompson estimate", false),
        "under_cases" => ("抽查发现漏报数", "under-reported cases found", false),
        "over_cases" => ("抽查发现多报数", "over-reported cases found", false),
        "p_under" => ("漏报检验p值", "p-value of under-reporting", false),
        "p_over" => ("多报检验p值", "p-value of over-reporting", false),
        "reported_rate" => ("上报“是”的比例", "share reported yes", true),
        "found_rate" => ("抽查为“是”的村比例", "share of villages found yes", true),
        "found_no" => ("抽查为“否”的村数", "sampled villages found no", false),
        "found_yes" => ("抽查为“是”的村数", "sampled villages found yes", false),
        // Household fields (SCORING.md §11).
        "rate" => ("答“是”的户比例", "share of households answering yes", true),
        "yes" => ("答“是”的户数", "households answering yes", false),
        "no" => ("答“否”的户数", "households answering no", false),
        "answered" => ("作答户数", "households answering", false),
        "contradictions" => ("与村上报不符的户数", "households contradicting the village's report", false),
        "favourable_rate" => ("正面回答的户比例", "share of households answering favourably", true),
        "sum" => ("入户合计", "total over the households visited", false),
        "mean" => ("户均数", "mean per household", false),
        _ => return None,
    };
    Some((lang.t(zh, en), share))
}

/// The words for a bound of a measure (`_lcb`): the interval's limits and
/// the one-sided bounds at the campaign's confidence.
pub fn bound_word(suffix: &str, lang: Lang) -> Option<&'static str> {
    Some(match suffix {
        "lo" => lang.t("区间下限", "interval low"),
        "hi" => lang.t("区间上限", "interval high"),
        "lcb" => lang.t("单侧置信下限", "one-sided lower bound"),
        "ucb" => lang.t("单侧置信上限", "one-sided upper bound"),
        _ => return None,
    })
}

/// The county-wide measures (SCORING.md §3).
pub fn county_measure(name: &str, lang: Lang) -> Option<&'static str> {
    Some(match name {
        "sampled" => lang.t("抽查村数", "sampled villages"),
        "findings_missing" => lang.t("缺少检查结果的样本村数", "sampled villages without findings"),
        "reports_missing" => lang.t("自查报告遗漏的样本村数", "sampled villages left out of the self-report"),
        "report_submitted" => lang.t("是否提交自查报告", "self-report submitted"),
        "omitted_villages" => lang.t("自查报告遗漏的村数", "villages left out of the self-report"),
        "visited_households" => lang.t("入户核查户数", "households visited"),
        "skipped_households" => lang.t("未能入户的户数", "listed households not visited"),
        "villages_without_households" => {
            lang.t("缺少入户核查结果的样本村数", "sampled villages without household findings")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_never_print_negative_zero() {
        assert_eq!(points(-0.0), "0.00");
        assert_eq!(points(-0.001), "0.00");
        assert_eq!(pct(-0.0), "0.00%");
        assert_eq!(delta(-0.001, Lang::Zh), None);
        assert_eq!(delta(-2.5, Lang::Zh).as_deref(), Some("扣2.50分"));
        assert_eq!(delta(0.4, Lang::En).as_deref(), Some("+0.40"));
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.345), "2.35");
    }

    #[test]
    fn risks_and_words() {
        assert_eq!(risk(0.00001, Lang::Zh), "低于0.01%");
        assert_eq!(risk(0.0031, Lang::Zh), "0.31%");
        assert_eq!(risk(0.7, Lang::En), "50% or more");
        assert_eq!(op(">", Lang::Zh), "超过");
        assert_eq!(evidence(true, Lang::Zh), "置信限");
        assert_eq!(measure_word("error_rate", Lang::Zh), Some(("误差率", true)));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
