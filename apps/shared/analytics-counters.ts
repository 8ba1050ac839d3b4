// The global counters of the AnalyticsCounter table: the analytics service writes a row under each
// name, points-api reads them back under the same names.
export const analyticsCounterNames = [
  "charges",
  "deductions",
  "rejections",
  "chargedPoints",
  "deductedPoints",
] as const;
export type AnalyticsCounterName = (typeof analyticsCounterNames)[number];
