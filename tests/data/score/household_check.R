# Reference values for spotcheck's household estimates, from R's survey package.
#
#   R_LIBS=/path/to/survey-4.5 Rscript tests/data/score/household_check.R > tests/data/score/household-reference.txt
#
# The design has three stages, as SCORING.md §11 describes: the village's
# PSU (a township drawn at random, or the village itself) in its variance
# stratum, the village, and the household, with the household's weight
# 1/pi x register / households visited. Each county is its own design, as
# spotcheck scores it. Without a finite-population correction survey uses
# the first stage only (the ultimate cluster): every stratum gets an fpc so
# large that it changes nothing. A village taken with certainty at every
# stage is a stratum of its own whose PSU has sampling fraction 1 (fpc 1 at
# the first two stages), so survey computes the variance of its households
# as the next stage, with replacement; no other stage below the first adds
# anything. A household field a household did not
# answer is NA: the rates are domain estimates (svyratio of the "yes" over
# the answered, the same as svymean with na.rm = TRUE), and svyciprop runs
# on the answering households. For each lonely-PSU choice spotcheck offers
# it prints, per scope (each county, and one county with a lonely PSU), each estimate with its SE and its interval
# confint(..., df = degf(design)), and the logit interval of svyciprop.
suppressMessages(library(survey))
options(digits = 15)
d <- read.csv("tests/data/score/households.csv",
              colClasses = c(county = "character", stratum = "character", psu = "character",
                             village = "character", household = "character"))
d$hh <- paste(d$village, d$household, sep = "#")
d$wh <- d$w * d$register / d$visited
d$f1 <- ifelse(d$certain == 1, 1, 1e12)
# Where the PSU is the village itself, the middle stage (the village within
# its PSU) is the whole of it: sampling fraction 1, so survey does not take
# it for a lonely unit.
d$f2 <- ifelse(d$psu == d$village, 1, 1e12)
d$f3 <- 1e12
d$answered <- as.numeric(!is.na(d$reward))
d$reward_yes <- ifelse(is.na(d$reward), 0, d$reward)
cat("# survey", as.character(packageVersion("survey")), "\n")
out <- function(lonely, scope, what, est, se, lo = NA, hi = NA) {
  cat(lonely, scope, what, formatC(c(est, se, lo, hi), digits = 15, format = "g"), "\n")
}
report <- function(lonely, scope, design) {
  df <- degf(design)
  ci <- function(x) if (df > 0) confint(x, df = df) else c(NA, NA)
  r <- svyratio(~reward_yes, ~answered, design)
  out(lonely, scope, "rate_reward", coef(r), SE(r))
  t <- svytotal(~reward_yes, design)
  out(lonely, scope, "total_reward", coef(t), SE(t), ci(t)[1], ci(t)[2])
  m <- svymean(~births, design)
  out(lonely, scope, "mean_births", coef(m), SE(m), ci(m)[1], ci(m)[2])
  t <- svytotal(~births, design)
  out(lonely, scope, "total_births", coef(t), SE(t), ci(t)[1], ci(t)[2])
  f <- svymean(~favourable, design)
  out(lonely, scope, "rate_favourable", coef(f), SE(f))
  if (df > 0) {
    for (v in c("reward", "favourable")) {
      sub <- if (v == "reward") subset(design, answered == 1) else design
      p <- svyciprop(as.formula(paste0("~", v)), sub, method = "logit", df = df)
      out(lonely, scope, paste0("ciprop_", v), coef(p), NA, attr(p, "ci")[1], attr(p, "ci")[2])
    }
  }
  cat(lonely, scope, "degf", df, "\n")
}
make <- function(data) {
  svydesign(ids = ~psu + village + hh, strata = ~stratum, weights = ~wh, fpc = ~f1 + f2 + f3,
            data = data, nest = TRUE)
}
for (lonely in c("certainty", "adjust", "average")) {
  options(survey.lonely.psu = lonely)
  for (c in sort(unique(d$county))) {
    report(lonely, c, make(d[d$county == c, ]))
  }
  # A lonely PSU beside villages taken with certainty: one village left of
  # a stratum of 新华区. "adjust" centres it at the mean of all first-stage
  # PSU totals, each certainty village counted as one.
  lone <- d[d$county == "130902" & (d$stratum != "130902/130902001" | d$village == "130902001201"), ]
  report(lonely, "130902-lonely", make(lone))
}
