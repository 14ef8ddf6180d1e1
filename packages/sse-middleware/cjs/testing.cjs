// CommonJS entry: the package is ESM, and Node >= 20.19 loads ESM from
// require(). This returns the very same module instance an `import` gets.
"use strict";
module.exports = require("../dist/testing.js");
