"use strict";
// Preloaded into a measured process: on exit, append its peak resident set size to the file the
// benchmark names, so the figure is the process's own (getrusage), not a sample.
const fs = require("node:fs");
const target = process.env.LIFTOFF_USAGE_FILE;
if (target) {
  process.on("exit", () => {
    fs.appendFileSync(target, `${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
  });
}
