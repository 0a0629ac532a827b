# Reference values for spotcheck's estimators, from R's survey package.
#
#   Rscript tests/data/score/survey_check.R > tests/data/score/survey-reference.txt
#
# The design is the one SCORING.md §2 describes: strata = counties (and
# townships taken with certainty), PSUs = the first sampled unit below them,
# weights = 1/pi, with-replacement (ultimate cluster) variance, and strata
# with a single PSU adding nothing ("certainty").
suppressMessages(library(survey))
options(survey.lonely.psu = "certainty", digits = 15)
d <- read.csv("tests/data/score/fixture.csv", colClasses = c(county = "character", stratum = "character", psu = "character"))
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d)
out <- function(scope, what, est, se, lo = NA, hi = NA) {
  cat(scope, what, formatC(c(est, se, lo, hi), digits = 15, format = "g"), "\n")
}
report <- function(scope, design) {
  t <- svytotal(~found, design)
  out(scope, "total_found", coef(t), SE(t))
  r <- svyratio(~found, ~reported, design)
  out(scope, "ratio_found_reported", coef(r), SE(r))
  m <- svymean(~paid, design)
  out(scope, "mean_paid", coef(m), SE(m))
}
report("all", des)
p <- svyciprop(~paid, des, method = "logit")
ci <- attr(p, "ci")
out("all", "ciprop_paid_logit", coef(p), NA, ci[1], ci[2])
cat("all", "degf", degf(des), "\n")
for (c in sort(unique(d$county))) {
  sub <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d[d$county == c, ])
  report(c, sub)
}
