"use strict";
// The floor the plan is measured against: a Node process that loads @pulumi/pulumi and the provider
// modules the program imports (listed by the benchmark from the program's sources), and declares nothing.
for (const specifier of process.argv.slice(2)) require(specifier);
