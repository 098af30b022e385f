'use strict';
// @zeit/cosmosdb-query (the query engine of the local Cosmos server) compiles every query
// to JavaScript that gathers rows with `reduce(($, c) => [...$, { c }], [])`: a copy of the
// whole accumulator per document, so one query over 50k documents takes ~40 s. Rewriting
// each `[...$, items]` in the generated code to an in-place append makes queries linear
// without changing what they return (each reduce starts from a fresh `[]`).
const path = require('node:path');

const SPREAD = '[...$, ';

/** Index of the bracket closing the one at `open`, skipping string literals. */
function closingBracket(code, open) {
  let depth = 0;
  for (let i = open; i < code.length; i += 1) {
    const char = code[i];
    if (char === '"' || char === "'" || char === '`') {
      for (i += 1; i < code.length && code[i] !== char; i += 1) if (code[i] === '\\') i += 1;
    } else if (char === '[' || char === '(' || char === '{') depth += 1;
    else if (char === ']' || char === ')' || char === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new Error('unbalanced generated query code');
}

function linearize(code) {
  let result = '';
  let rest = code;
  for (let at = rest.indexOf(SPREAD); at >= 0; at = rest.indexOf(SPREAD)) {
    const close = closingBracket(rest, at);
    const items = linearize(rest.slice(at + SPREAD.length, close));
    result += `${rest.slice(0, at)}$h.appendInPlace($, ${items})`;
    rest = rest.slice(close + 1);
  }
  return result + rest;
}

function appendInPlace(target, ...items) {
  for (const item of items) target.push(item);
  return target;
}

/** Patches the query engine that @vercel/cosmosdb-server loads. */
function useLinearQueries() {
  const server = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
  const engine = path.dirname(
    require.resolve('@zeit/cosmosdb-query/package.json', { paths: [server] }),
  );
  require(path.join(engine, 'lib/helpers.js')).appendInPlace = appendInPlace;
  const query = require(engine).default('SELECT * FROM c');
  const prototype = Object.getPrototypeOf(query);
  const original = Object.getOwnPropertyDescriptor(prototype, 'code');
  Object.defineProperty(prototype, 'code', {
    configurable: true,
    get() {
      this.linearCode ??= linearize(original.get.call(this));
      return this.linearCode;
    },
  });
}

module.exports = { useLinearQueries, linearize };
