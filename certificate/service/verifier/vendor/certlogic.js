// certlogic-js 1.2.2 (Apache-2.0), bundled by tools/vendor.mjs. Do not edit.
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __commonJS = (cb, mod) => function __require() {
  return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// node_modules/certlogic-js/dist/typings.js
var require_typings = __commonJS({
  "node_modules/certlogic-js/dist/typings.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.timeUnits = void 0;
    exports.timeUnits = ["year", "month", "day", "hour"];
  }
});

// node_modules/certlogic-js/dist/validation/data-accesses.js
var require_data_accesses = __commonJS({
  "node_modules/certlogic-js/dist/validation/data-accesses.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.dataAccessesWithContext = exports.dataAccesses = void 0;
    var gatherFrom = (expr, parent) => {
      const recurse = (subExpr) => gatherFrom(subExpr, expr);
      if (Array.isArray(expr)) {
        return expr.flatMap(recurse);
      }
      if (typeof expr === "object") {
        const [operator, values] = Object.entries(expr)[0];
        switch (operator) {
          case "var":
            return [{ path: values, context: parent ?? expr }];
          case "if":
            return values.slice(0, 3).flatMap(recurse);
          // 0: guard, 1: then, 2: else
          // all infixes:
          case "===":
          case "and":
          case ">":
          case "<":
          case ">=":
          case "<=":
          case "in":
          case "+":
          case "after":
          case "before":
          case "not-after":
          case "not-before":
            return values.flatMap(recurse);
          case "!":
            return recurse(values[0]);
          case "plusTime":
            return recurse(values[0]);
          case "reduce":
            return [
              /* operand: */
              values[0],
              /* initial: */
              values[2]
            ].flatMap(recurse);
          case "extractFromUVCI":
            return recurse(values[0]);
          case "dccDateOfBirth":
            return recurse(values[0]);
          /*
           * Note: Array.slice and recurse(Array[index]) are resilient against missing values.
           */
          default:
            throw new Error(`operator not recognised by fields gatherer ("gatherFrom") in certlogic-js/validation/${__filename}: "${operator}"`);
        }
      }
      return [];
    };
    var dataAccesses = (expr) => [...new Set(gatherFrom(expr).map((dataAccess) => dataAccess.path))].sort();
    exports.dataAccesses = dataAccesses;
    var dataAccessesWithContext = (expr) => {
      const map = {};
      gatherFrom(expr).forEach(({ path, context }) => {
        if (!(path in map)) {
          map[path] = [];
        }
        map[path].push(context);
      });
      return map;
    };
    exports.dataAccessesWithContext = dataAccessesWithContext;
  }
});

// node_modules/certlogic-js/dist/internals.js
var require_internals = __commonJS({
  "node_modules/certlogic-js/dist/internals.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.access = exports.extractFromUVCI = exports.dccDateOfBirth = exports.plusTime = exports.roundUpPartialDate = exports.dateFromString = exports.isDate = exports.isCertLogicLiteral = exports.isInt = exports.boolsiness = exports.isTruthy = exports.isFalsy = exports.isDictionary = void 0;
    var isDictionary = (value) => typeof value === "object" && value !== null && value.toString() === "[object Object]" && !Array.isArray(value);
    exports.isDictionary = isDictionary;
    var isFalsy = (value) => value === false || value === null || typeof value === "string" && value === "" || typeof value === "number" && value === 0 || Array.isArray(value) && value.length === 0 || (0, exports.isDictionary)(value) && Object.entries(value).length === 0;
    exports.isFalsy = isFalsy;
    var isTruthy = (value) => value === true || typeof value === "string" && value !== "" || typeof value === "number" && value !== 0 || Array.isArray(value) && value.length > 0 || (0, exports.isDictionary)(value) && Object.entries(value).length > 0;
    exports.isTruthy = isTruthy;
    var boolsiness = (value) => {
      if ((0, exports.isTruthy)(value)) {
        return true;
      }
      if ((0, exports.isFalsy)(value)) {
        return false;
      }
      return void 0;
    };
    exports.boolsiness = boolsiness;
    var isInt = (value) => typeof value === "number" && Number.isInteger(value);
    exports.isInt = isInt;
    var isCertLogicLiteral = (expr) => typeof expr === "string" || (0, exports.isInt)(expr) || typeof expr === "boolean";
    exports.isCertLogicLiteral = isCertLogicLiteral;
    var isDate = (value) => value instanceof Date;
    exports.isDate = isDate;
    var leftPad = (str, len, char) => char.repeat(len - str.length) + str;
    var timeSuffix = "T00:00:00.000Z";
    var dateFromString = (str) => {
      if (str.match(/^\d{4}-\d{2}-\d{2}$/)) {
        return /* @__PURE__ */ new Date(`${str}${timeSuffix}`);
      }
      const matcher = str.match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+?)?(Z|(([+-])(\d{1,2}):?(\d{2})?))?$/);
      if (matcher) {
        let reformatted = `${matcher[1]}-${matcher[2]}-${matcher[3]}T${matcher[4]}:${matcher[5]}:${matcher[6]}`;
        if (matcher[7]) {
          reformatted += matcher[7].padEnd(4, "0").substring(0, 4);
        }
        if (!matcher[8] || matcher[8] === "Z") {
          reformatted += "Z";
        } else {
          reformatted += matcher[10] + leftPad(matcher[11], 2, "0") + ":" + (matcher[12] || "00");
        }
        return new Date(reformatted);
      }
      throw new Error(`not an allowed date or date-time format: ${str}`);
    };
    exports.dateFromString = dateFromString;
    var roundUpPartialDate = (str) => {
      if (str.match(/^\d{4}$/)) {
        return /* @__PURE__ */ new Date(`${str}-12-31${timeSuffix}`);
      }
      if (str.match(/^\d{4}-\d{2}$/)) {
        const date = /* @__PURE__ */ new Date(`${str}-01${timeSuffix}`);
        date.setUTCMonth(date.getUTCMonth() + 1);
        date.setUTCDate(0);
        return date;
      }
      return void 0;
    };
    exports.roundUpPartialDate = roundUpPartialDate;
    var plusTime = (dateTimeLikeStr, amount, unit) => {
      const dateTime = (0, exports.roundUpPartialDate)(dateTimeLikeStr) ?? (0, exports.dateFromString)(dateTimeLikeStr);
      if (amount === 0) {
        return dateTime;
      }
      if (unit === "day") {
        dateTime.setUTCDate(dateTime.getUTCDate() + amount);
      } else if (unit === "hour") {
        dateTime.setUTCHours(dateTime.getUTCHours() + amount);
      } else if (unit === "month") {
        dateTime.setUTCMonth(dateTime.getUTCMonth() + amount);
      } else if (unit === "year") {
        dateTime.setUTCFullYear(dateTime.getUTCFullYear() + amount);
      } else {
        throw new Error(`unknown time unit "${unit}"`);
      }
      return dateTime;
    };
    exports.plusTime = plusTime;
    var dccDateOfBirth = (str) => {
      const forPartialDate = (0, exports.roundUpPartialDate)(str);
      if (forPartialDate !== void 0) {
        return forPartialDate;
      }
      if (str.match(/^\d{4}-\d{2}-\d{2}$/)) {
        return (0, exports.dateFromString)(str);
      }
      throw new Error(`can't parse "${str}" as an EU DCC date-of-birth`);
    };
    exports.dccDateOfBirth = dccDateOfBirth;
    var optionalPrefix = "URN:UVCI:";
    var extractFromUVCI = (uvci, index) => {
      if (uvci === null || index < 0) {
        return null;
      }
      const prefixlessUvci = uvci.startsWith(optionalPrefix) ? uvci.substring(optionalPrefix.length) : uvci;
      const fragments = prefixlessUvci.split(/[/#:]/);
      return index < fragments.length ? fragments[index] : null;
    };
    exports.extractFromUVCI = extractFromUVCI;
    var access = (data, path) => path === "" ? data : path.split(".").reduce((acc, fragment) => {
      if (acc === null) {
        return null;
      }
      const index = parseInt(fragment, 10);
      const value = isNaN(index) ? acc[fragment] : acc[index];
      return value === void 0 ? null : value;
    }, data);
    exports.access = access;
  }
});

// node_modules/certlogic-js/dist/validation/format-validator.js
var require_format_validator = __commonJS({
  "node_modules/certlogic-js/dist/validation/format-validator.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.validateFormat = void 0;
    var internals_1 = require_internals();
    var typings_1 = require_typings();
    var validateVar = (expr, values) => {
      if (typeof values !== "string") {
        return [{ expr, message: `not of the form { "var": "<path>" }` }];
      }
      const path = values;
      return path === "" || path.match(/^([^.]+?)(\.[^.]+?)*$/) ? [] : [{ expr, message: `data access path doesn't have a valid format: ${path}` }];
    };
    var validateIf = (expr, values) => {
      const errors = [];
      if (values.length !== 3) {
        errors.push({ expr, message: `an "if"-operation must have exactly 3 values/operands, but it has ${values.length}` });
      }
      errors.push(...values.slice(0, 3).flatMap(validate));
      return errors;
    };
    var validateInfix = (expr, operator, values) => {
      const errors = [];
      let maxOperands = values.length;
      switch (operator) {
        case "and": {
          if (values.length < 2) {
            errors.push({ expr, message: `an "and" operation must have at least 2 operands, but it has ${values.length}` });
          }
          break;
        }
        case "<":
        case ">":
        case "<=":
        case ">=":
        case "after":
        case "before":
        case "not-after":
        case "not-before": {
          maxOperands = 3;
          if (values.length < 2 || values.length > 3) {
            errors.push({ expr, message: `an operation with operator "${operator}" must have 2 or 3 operands, but it has ${values.length}` });
          }
          break;
        }
        default: {
          maxOperands = 2;
          if (values.length !== 2) {
            errors.push({ expr, message: `an operation with operator "${operator}" must have 2 operands, but it has ${values.length}` });
          }
          break;
        }
      }
      errors.push(...values.slice(0, maxOperands).flatMap(validate));
      return errors;
    };
    var validateNot = (expr, values) => {
      return values.length === 1 ? validate(values[0]) : [{ expr, message: `a !-operation (logical not/negation) must have exactly 1 operand, but it has ${values.length}` }];
    };
    var validatePlusTime = (expr, values) => {
      const errors = [];
      if (values.length !== 3) {
        errors.push({ expr, message: `a "plusTime"-operation must have exactly 3 values/operands, but it has ${values.length}` });
      }
      if (values[0] !== void 0) {
        errors.push(...validate(values[0]));
      }
      if (values[1] !== void 0 && !(0, internals_1.isInt)(values[1])) {
        errors.push({ expr, message: `"amount" argument (#2) of "plusTime" must be an integer, but it is: ${values[1]}` });
      }
      if (values[2] !== void 0 && typings_1.timeUnits.indexOf(values[2]) === -1) {
        errors.push({ expr, message: `"unit" argument (#3) of "plusTime" must be a string equal to one of ${typings_1.timeUnits.join(", ")}, but it is: ${values[2]}` });
      }
      return errors;
    };
    var validateReduce = (expr, values) => {
      const errors = [];
      if (values.length !== 3) {
        errors.push({ expr, message: `a "reduce"-operation must have exactly 3 values/operands, but it has ${values.length}` });
      }
      errors.push(...values.slice(0, 3).flatMap(validate));
      return errors;
    };
    var validateExtractFromUVCI = (expr, values) => {
      const errors = [];
      if (values.length !== 2) {
        errors.push({ expr, message: `an "extractFromUVCI"-operation must have exactly 2 values/operands, but it has ${values.length}` });
      }
      if (values[0] !== void 0) {
        errors.push(...validate(values[0]));
      }
      if (values[1] !== void 0 && !(0, internals_1.isInt)(values[1])) {
        errors.push({ expr, message: `"index" argument (#2) of "extractFromUVCI" must be an integer, but it is: ${values[1]}` });
      }
      return errors;
    };
    var validateDccDateOfBirth = (expr, values) => {
      const errors = [];
      if (values.length !== 1) {
        errors.push({ expr, message: `a "dccDateOfBirth"-operation must have exactly 1 value/operand, but it has ${values.length}` });
      }
      if (values[0] !== void 0) {
        errors.push(...validate(values[0]));
      }
      return errors;
    };
    var validate = (expr) => {
      const withError = (message) => [{ expr, message }];
      if ((0, internals_1.isCertLogicLiteral)(expr)) {
        return [];
      }
      if (typeof expr === "number") {
        return withError(`${expr} is a non-integer number`);
      }
      if (expr === null) {
        return withError(`invalid CertLogic expression`);
      }
      if (Array.isArray(expr)) {
        return expr.flatMap(validate);
      }
      if (typeof expr === "object") {
        const entries = Object.entries(expr);
        if (entries.length !== 1) {
          return withError(`expression object must have exactly one key, but it has ${entries.length}`);
        }
        const [operator, values] = entries[0];
        if (operator === "var") {
          return validateVar(expr, values);
        }
        if (!Array.isArray(values)) {
          return withError(`operation not of the form { "<operator>": [ <values...> ] }`);
        }
        if (operator === "if") {
          return validateIf(expr, values);
        }
        if (["===", "and", ">", "<", ">=", "<=", "in", "+", "after", "before", "not-after", "not-before"].indexOf(operator) > -1) {
          return validateInfix(expr, operator, values);
        }
        if (operator === "!") {
          return validateNot(expr, values);
        }
        if (operator === "plusTime") {
          return validatePlusTime(expr, values);
        }
        if (operator === "reduce") {
          return validateReduce(expr, values);
        }
        if (operator === "extractFromUVCI") {
          return validateExtractFromUVCI(expr, values);
        }
        if (operator === "dccDateOfBirth") {
          return validateDccDateOfBirth(expr, values);
        }
        return withError(`unrecognised operator: "${operator}"`);
      }
      return withError(`invalid CertLogic expression`);
    };
    exports.validateFormat = validate;
  }
});

// node_modules/certlogic-js/dist/validation/index.js
var require_validation = __commonJS({
  "node_modules/certlogic-js/dist/validation/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.isCertLogicOperation = exports.isCertLogicExpression = exports.validate = exports.validateFormat = exports.dataAccessesWithContext = exports.dataAccesses = void 0;
    var data_accesses_1 = require_data_accesses();
    Object.defineProperty(exports, "dataAccesses", { enumerable: true, get: function() {
      return data_accesses_1.dataAccesses;
    } });
    Object.defineProperty(exports, "dataAccessesWithContext", { enumerable: true, get: function() {
      return data_accesses_1.dataAccessesWithContext;
    } });
    var format_validator_1 = require_format_validator();
    Object.defineProperty(exports, "validateFormat", { enumerable: true, get: function() {
      return format_validator_1.validateFormat;
    } });
    var format_validator_2 = require_format_validator();
    var validate = (expr) => (0, format_validator_2.validateFormat)(expr);
    exports.validate = validate;
    var isCertLogicExpression = (expr) => (0, exports.validate)(expr).length === 0;
    exports.isCertLogicExpression = isCertLogicExpression;
    var internals_1 = require_internals();
    var isCertLogicOperation = (expr) => (0, exports.isCertLogicExpression)(expr) && (0, internals_1.isDictionary)(expr);
    exports.isCertLogicOperation = isCertLogicOperation;
  }
});

// node_modules/certlogic-js/dist/evaluator.js
var require_evaluator = __commonJS({
  "node_modules/certlogic-js/dist/evaluator.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.evaluate = void 0;
    var typings_1 = require_typings();
    var internals_1 = require_internals();
    var evaluateVar = (path, data) => {
      if (typeof path !== "string") {
        throw new Error(`not of the form { "var": "<path>" }`);
      }
      return (0, internals_1.access)(data, path);
    };
    var evaluateIf = (guard, then, else_, data) => {
      if (guard === void 0) {
        throw new Error(`an if-operation must have a guard (argument #1)`);
      }
      if (then === void 0) {
        throw new Error(`an if-operation must have a then (argument #2)`);
      }
      if (else_ === void 0) {
        throw new Error(`an if-operation must have an else (argument #3)`);
      }
      const evalGuard = (0, exports.evaluate)(guard, data);
      switch ((0, internals_1.boolsiness)(evalGuard)) {
        case true:
          return (0, exports.evaluate)(then, data);
        case false:
          return (0, exports.evaluate)(else_, data);
        case void 0:
          throw new Error(`if-guard evaluates to something neither truthy, nor falsy: ${evalGuard}`);
      }
    };
    var compareFunctionFor = (operator) => (l, r) => {
      switch (operator) {
        case "<":
          return l < r;
        case ">":
          return l > r;
        case "<=":
          return l <= r;
        case ">=":
          return l >= r;
      }
    };
    var compare = (operator, values) => {
      const compFunc = compareFunctionFor(operator);
      switch (values.length) {
        case 2:
          return compFunc(values[0], values[1]);
        case 3:
          return compFunc(values[0], values[1]) && compFunc(values[1], values[2]);
        default:
          throw new Error(`invalid number of operands to a "${operator}" operation`);
      }
    };
    var comparisonOperatorForDateTimeComparison = (operator) => {
      switch (operator) {
        case "after":
          return ">";
        case "before":
          return "<";
        case "not-after":
          return "<=";
        case "not-before":
          return ">=";
      }
    };
    var evaluateInfix = (operator, values, data) => {
      switch (operator) {
        case "and": {
          if (values.length < 2)
            throw new Error(`an "and" operation must have at least 2 operands`);
          break;
        }
        case "<":
        case ">":
        case "<=":
        case ">=":
        case "after":
        case "before":
        case "not-after":
        case "not-before": {
          if (values.length < 2 || values.length > 3)
            throw new Error(`an operation with operator "${operator}" must have 2 or 3 operands`);
          break;
        }
        default: {
          if (values.length !== 2)
            throw new Error(`an operation with operator "${operator}" must have 2 operands`);
          break;
        }
      }
      if (operator === "and") {
        return values.reduce((acc, current) => {
          switch ((0, internals_1.boolsiness)(acc)) {
            case false:
              return acc;
            case true: {
              const evalCurrent = (0, exports.evaluate)(current, data);
              if ((0, internals_1.boolsiness)(evalCurrent) === void 0) {
                throw new Error(`all operands of an "and" operation must be either truthy or falsy`);
              }
              return evalCurrent;
            }
          }
        }, true);
      }
      const evalArgs = values.map((arg) => (0, exports.evaluate)(arg, data));
      switch (operator) {
        case "===":
          return evalArgs[0] === evalArgs[1];
        case "in": {
          const r = evalArgs[1];
          if (!Array.isArray(r)) {
            throw new Error(`right-hand side of an "in" operation must be an array`);
          }
          return r.indexOf(evalArgs[0]) > -1;
        }
        case "+": {
          const l = evalArgs[0];
          const r = evalArgs[1];
          if (!(0, internals_1.isInt)(l) || !(0, internals_1.isInt)(r)) {
            throw new Error(`operands of this operation must both be integers`);
          }
          return l + r;
        }
        case "<":
        case ">":
        case "<=":
        case ">=": {
          if (!evalArgs.every(internals_1.isInt)) {
            throw new Error(`all operands of a comparison operation must be of integer type`);
          }
          return compare(operator, evalArgs);
        }
        case "after":
        case "before":
        case "not-after":
        case "not-before": {
          if (!evalArgs.every((evalArg) => evalArg instanceof Date)) {
            throw new Error(`all operands of a date-time comparison must be date-times`);
          }
          return compare(comparisonOperatorForDateTimeComparison(operator), evalArgs);
        }
        default:
          throw new Error(`unhandled infix operator "${operator}"`);
      }
    };
    var evaluateNot = (operand, data) => {
      const evalOperand = (0, exports.evaluate)(operand, data);
      switch ((0, internals_1.boolsiness)(evalOperand)) {
        case false:
          return true;
        case true:
          return false;
        case void 0:
          throw new Error(`operand of ! evaluates to something neither truthy, nor falsy: ${evalOperand}`);
      }
    };
    var evaluatePlusTime = (dateOperand, amount, unit, data) => {
      if (!(0, internals_1.isInt)(amount)) {
        throw new Error(`"amount" argument (#2) of "plusTime" must be an integer`);
      }
      if (typings_1.timeUnits.indexOf(unit) === -1) {
        throw new Error(`"unit" argument (#3) of "plusTime" must be a string with one of the time units: ${typings_1.timeUnits.join(", ")}`);
      }
      const dateTimeStr = (0, exports.evaluate)(dateOperand, data);
      if (typeof dateTimeStr !== "string") {
        throw new Error(`date argument (#1) of "plusTime" must be a string`);
      }
      return (0, internals_1.plusTime)(dateTimeStr, amount, unit);
    };
    var evaluateReduce = (operand, lambda, initial, data) => {
      const evalOperand = (0, exports.evaluate)(operand, data);
      const evalInitial = () => (0, exports.evaluate)(initial, data);
      if (evalOperand === null) {
        return evalInitial();
      }
      if (!Array.isArray(evalOperand)) {
        throw new Error(`operand of reduce evaluated to a non-null non-array`);
      }
      return evalOperand.reduce((accumulator, current) => (0, exports.evaluate)(lambda, {
        accumulator,
        current
        /* (patch:) , data */
      }), evalInitial());
    };
    var evaluateExtractFromUVCI = (operand, index, data) => {
      const evalOperand = (0, exports.evaluate)(operand, data);
      if (!(evalOperand === null || typeof evalOperand === "string")) {
        throw new Error(`"UVCI" argument (#1) of "extractFromUVCI" must be either a string or null`);
      }
      if (!(0, internals_1.isInt)(index)) {
        throw new Error(`"index" argument (#2) of "extractFromUVCI" must be an integer`);
      }
      return (0, internals_1.extractFromUVCI)(evalOperand, index);
    };
    var evaluateDccDateOfBirth = (operand, data) => {
      const evalOperand = (0, exports.evaluate)(operand, data);
      if (!(typeof evalOperand === "string")) {
        throw new Error(`operand of "dccDateOfBirth" must be a string`);
      }
      return (0, internals_1.dccDateOfBirth)(evalOperand);
    };
    var evaluate2 = (expr, data) => {
      if ((0, internals_1.isCertLogicLiteral)(expr)) {
        return expr;
      }
      if (expr === null) {
        throw new Error(`invalid CertLogic expression: ${expr}`);
      }
      if (Array.isArray(expr)) {
        return expr.map((item) => (0, exports.evaluate)(item, data));
      }
      if (typeof expr === "object") {
        const entries = Object.entries(expr);
        if (entries.length !== 1) {
          throw new Error(`unrecognised expression object encountered`);
        }
        const [operator, values] = entries[0];
        if (operator === "var") {
          return evaluateVar(values, data);
        }
        if (!(Array.isArray(values) && values.length > 0)) {
          throw new Error(`operation not of the form { "<operator>": [ <values...> ] }`);
        }
        if (operator === "if") {
          const [guard, then, else_] = values;
          return evaluateIf(guard, then, else_, data);
        }
        if (["===", "and", ">", "<", ">=", "<=", "in", "+", "after", "before", "not-after", "not-before"].indexOf(operator) > -1) {
          return evaluateInfix(operator, values, data);
        }
        if (operator === "!") {
          return evaluateNot(values[0], data);
        }
        if (operator === "plusTime") {
          return evaluatePlusTime(values[0], values[1], values[2], data);
        }
        if (operator === "reduce") {
          return evaluateReduce(values[0], values[1], values[2], data);
        }
        if (operator === "extractFromUVCI") {
          return evaluateExtractFromUVCI(values[0], values[1], data);
        }
        if (operator === "dccDateOfBirth") {
          return evaluateDccDateOfBirth(values[0], data);
        }
        throw new Error(`unrecognised operator: "${operator}"`);
      }
      throw new Error(`invalid CertLogic expression: ${expr}`);
    };
    exports.evaluate = evaluate2;
  }
});

// node_modules/certlogic-js/package.json
var require_package = __commonJS({
  "node_modules/certlogic-js/package.json"(exports, module) {
    module.exports = {
      name: "certlogic-js",
      version: "1.2.2",
      description: "Implementation of CertLogic in TypeScript",
      keywords: [
        "json",
        "logic",
        "jsonlogic",
        "rules",
        "validation",
        "validator"
      ],
      homepage: "https://github.com/ehn-dcc-development/eu-dcc-business-rules/tree/main/certlogic",
      repository: {
        type: "git",
        url: "git+https://github.com/ehn-dcc-development/eu-dcc-business-rules.git"
      },
      bugs: {
        url: "https://github.com/ehn-dcc-development/eu-dcc-business-rules/issues"
      },
      main: "dist/index.js",
      typings: "dist/index.d.ts",
      scripts: {
        build: "tsc",
        "watch-build": "tsc --watch --incremental",
        pretest: "npm run build",
        test: "mocha --recursive dist/test",
        "watch-test": "mocha --watch --recursive dist/test",
        clean: "rm -rf dist/ && rm -rf node_modules/",
        "check-deps": "dpdm dist/ --circular --exit-code circular:1",
        "precheck-deps": "npm run build"
      },
      bin: {
        "certlogic-run": "dist/cli.js",
        "certlogic-validate": "dist/validation/cli.js",
        "certlogic-desugar": "dist/misc/desugar-cli.js"
      },
      author: "Meinte Boersma <meinte.boersma@gmail.com>",
      contributors: [
        "Steffen Schulze",
        "Denzil Ferreira <denzil.ferreira@solita.fi>"
      ],
      license: "Apache-2.0",
      devDependencies: {
        "@types/chai": "^4.3.0",
        "@types/mocha": "^9.1.0",
        "@types/node": "^17.0.17",
        "@types/semver": "^7.3.9",
        chai: "^4.3.6",
        dpdm: "^3.8.0",
        mocha: "^9.2.0",
        semver: "^7.3.5",
        typescript: "^4.5.5"
      }
    };
  }
});

// node_modules/certlogic-js/dist/index.js
var require_dist = __commonJS({
  "node_modules/certlogic-js/dist/index.js"(exports) {
    "use strict";
    Object.defineProperty(exports, "__esModule", { value: true });
    exports.specificationVersion = exports.implementationVersion = exports.evaluate = exports.isInt = exports.isCertLogicOperation = exports.isCertLogicExpression = exports.timeUnits = void 0;
    var typings_1 = require_typings();
    Object.defineProperty(exports, "timeUnits", { enumerable: true, get: function() {
      return typings_1.timeUnits;
    } });
    var index_1 = require_validation();
    Object.defineProperty(exports, "isCertLogicExpression", { enumerable: true, get: function() {
      return index_1.isCertLogicExpression;
    } });
    Object.defineProperty(exports, "isCertLogicOperation", { enumerable: true, get: function() {
      return index_1.isCertLogicOperation;
    } });
    var internals_1 = require_internals();
    Object.defineProperty(exports, "isInt", { enumerable: true, get: function() {
      return internals_1.isInt;
    } });
    var evaluator_1 = require_evaluator();
    Object.defineProperty(exports, "evaluate", { enumerable: true, get: function() {
      return evaluator_1.evaluate;
    } });
    exports.implementationVersion = require_package().version;
    exports.specificationVersion = "1.3.2";
  }
});

// <stdin>
var import_certlogic_js = __toESM(require_dist());
var export_evaluate = import_certlogic_js.evaluate;
export {
  export_evaluate as evaluate
};
