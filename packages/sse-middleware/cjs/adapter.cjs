// CommonJS entry: the package is ESM, and Node >= 20.19 loads ESM from
// require(). This returns the very same module instance an `import` gets, so
// there is no dual-package hazard (one PreparedEvent class, one set of streams).
"use strict";
module.exports = require("../dist/adapter.js");
