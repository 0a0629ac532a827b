# Reference values for spotcheck's estimators, from R's survey package.
#
#   Rscript tests/data/score/survey_check.R > tests/data/score/survey-reference.txt
#
# The design is the one SCORING.md §2 describes: strata = counties (and
# townships taken with certainty), PSUs = the first sampled unit below them,
# weights = 1/pi, with-replacement (ultimate cluster) variance. Each county is
# its own design, as spotcheck scores it. For every choice of
# options(survey.lonely.psu) that spotcheck offers (certainty, adjust,
# average) it prints, per scope, each estimate with its SE and its interval
# confint(..., df = degf(design)), the t interval on the design's degrees of
# freedom. Strata with one PSU under "average" when every stratum has one
# PSU give NA, as in R. The "adjust" centring of totals changed in survey
# 4.4-1 (a lonely PSU is centred at the mean of all PSU totals, no longer at
# 0); the committed reference comes from a version with the newer rule, and
# the ratio and mean lines are the same under both.
suppressMessages(library(survey))
options(digits = 15)
d <- read.csv("tests/data/score/fixture.csv", colClasses = c(county = "character", stratum = "character", psu = "character"))
# A stratum of one village taken with certainty (weight 1: a forced village) is
# self-representing: fpc equal to its one PSU tells survey so. Every other
# stratum gets an fpc so large that it changes nothing (with-replacement).
npsu <- ave(seq_len(nrow(d)), d$stratum, FUN = function(i) length(unique(d$psu[i])))
certain <- ave(d$w, d$stratum, FUN = function(w) all(w == 1))
d$fpc <- ifelse(npsu == 1 & certain == 1, 1, 1e12)
cat("# survey", as.character(packageVersion("survey")), "\n")
out <- function(lonely, scope, what, est, se, lo = NA, hi = NA) {
  cat(lonely, scope, what, formatC(c(est, se, lo, hi), digits = 15, format = "g"), "\n")
}
report <- function(lonely, scope, design) {
  df <- degf(design)
  ci <- function(x) if (df > 0) confint(x, df = df) else c(NA, NA)
  t <- svytotal(~found, design)
  out(lonely, scope, "total_found", coef(t), SE(t), ci(t)[1], ci(t)[2])
  r <- svyratio(~found, ~reported, design)
  out(lonely, scope, "ratio_found_reported", coef(r), SE(r), ci(r)[1], ci(r)[2])
  m <- svymean(~paid, design)
  out(lonely, scope, "mean_paid", coef(m), SE(m), ci(m)[1], ci(m)[2])
  cat(lonely, scope, "degf", df, "\n")
}
for (lonely in c("certainty", "adjust", "average")) {
  options(survey.lonely.psu = lonely)
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, data = d)
  report(lonely, "all", des)
  if (lonely == "certainty") {
    p <- svyciprop(~paid, des, method = "logit")
    ci <- attr(p, "ci")
    out(lonely, "all", "ciprop_paid_logit", coef(p), NA, ci[1], ci[2])
  }
  for (c in sort(unique(d$county))) {
    sub <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, data = d[d$county == c, ])
    report(lonely, c, sub)
  }
}
