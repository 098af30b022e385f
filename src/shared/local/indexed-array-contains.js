'use strict';
// Cosmos answers `ARRAY_CONTAINS(@ids, c.id)` from its index. The local server's query engine
// (@zeit/cosmosdb-query) runs `ids.some(deepEqual)` for every document, so one query costs
// documents x ids: the sync's lookup of a round's rows by source id took 0.7 s at 1k ids.
// For an array of strings or numbers (what such a lookup sends), a Set built once per array
// answers the same thing for any value: a string or number is in it or not, and anything else
// (undefined where a document lacks the field, null, an object) equals none of its items. Any
// other array goes to the original. Arrays are taken as they are when first seen; a query's parameters are parsed
// afresh for every request, so they do not change under it.
const path = require('node:path');

/** Below this, the linear search is as fast as building a Set. */
const MIN_INDEXED_LENGTH = 32;

function isScalar(value) {
  return typeof value === 'string' || typeof value === 'number';
}

/** Patches the query engine that @vercel/cosmosdb-server loads. */
function useIndexedArrayContains() {
  const server = path.dirname(require.resolve('@vercel/cosmosdb-server/package.json'));
  const engine = path.dirname(
    require.resolve('@zeit/cosmosdb-query/package.json', { paths: [server] }),
  );
  const builtins = require(path.join(engine, 'lib/builtin-functions.js'));
  const original = builtins.ARRAY_CONTAINS;
  const indexes = new WeakMap();
  builtins.ARRAY_CONTAINS = function ARRAY_CONTAINS(array, value, partial) {
    if (arguments.length === 2 && Array.isArray(array) && array.length >= MIN_INDEXED_LENGTH) {
      let index = indexes.get(array);
      if (index === undefined) {
        index = array.every(isScalar) ? new Set(array) : null;
        indexes.set(array, index);
      }
      if (index) return index.has(value);
    }
    return arguments.length === 3 ? original(array, value, partial) : original(array, value);
  };
}

module.exports = { useIndexedArrayContains };
