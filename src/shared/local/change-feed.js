'use strict';
// The local Cosmos server has no change feed: it answers a read with `A-IM: Incremental Feed`
// as a plain ReadFeed, and its request handler turns any such read that carries If-None-Match
// into a 304 with `etag: 1`, so the SDK's iterator sees the first page and then nothing. This
// gives it the latest-version change feed Cosmos DB has: every document write is stamped with
// a log sequence number (LSN, per container) and appended to a log of (lsn, document); a read
// returns, in LSN order, each document whose latest version is newer than the position it is
// asked for, and answers with its new position in `etag`, which the SDK hands back as
// If-None-Match. The log is append-only and sorted, so a read binary-searches its position and
// walks only what changed since; entries superseded by a later write (or by a delete) are
// skipped, and the log is compacted once most of it is superseded.
const path = require('node:path');

const DEFAULT_PAGE_SIZE = 100;
const COMPACT_MIN_ENTRIES = 1024;
const FULL_RANGE = { min: '', max: 'FF' };

/** Per Documents (one container): LSN counter, the log, and the LSN of each stored version. */
const states = new WeakMap();

function stateOf(documents) {
  let state = states.get(documents);
  if (!state) {
    state = {
      lsn: 0,
      lastMs: 0,
      // The log, as parallel arrays sorted by lsn: lsn, document _rid, write time in ms.
      lsns: [],
      rids: [],
      times: [],
      // The LSN of each stored version, keyed by the stored object itself: a version a later
      // write replaced, or a delete removed, is no longer what `_data` holds for its _rid.
      lsnOf: new WeakMap(),
      epkOf: new WeakMap(),
      // Set while one transactional batch writes: every write shares one LSN.
      shared: undefined,
    };
    states.set(documents, state);
  }
  return state;
}

/** Records a stored version: its LSN (shared inside a batch) and a log entry. */
function record(documents, data) {
  const state = stateOf(documents);
  const { shared } = state;
  let lsn;
  if (shared) {
    shared.lsn ??= ++state.lsn;
    lsn = shared.lsn;
  } else lsn = ++state.lsn;
  state.lsnOf.set(data, lsn);
  // A batch that writes one document twice logs it once: the feed shows its latest version.
  if (shared && shared.rids.has(data._rid)) return;
  shared?.rids.add(data._rid);
  state.lastMs = Math.max(state.lastMs, Date.now());
  state.lsns.push(lsn);
  state.rids.push(data._rid);
  state.times.push(state.lastMs);
  if (!shared) compactIfMostlySuperseded(documents, state);
}

/**
 * Runs `write` (synchronous) so that every document it writes carries one LSN, as the items of
 * a Cosmos transactional batch do, and the change feed returns them together. A rollback must
 * happen inside `write`: the log is compacted when it returns, against the stored versions.
 */
function asOneWrite(documents, write) {
  const state = stateOf(documents);
  state.shared = { lsn: undefined, rids: new Set() };
  try {
    return write();
  } finally {
    state.shared = undefined;
    compactIfMostlySuperseded(documents, state);
  }
}

/** The stored version an entry names, if that entry is still its latest write. */
function liveVersion(documents, state, i) {
  const data = documents._data.get(state.rids[i])?.read();
  return data && state.lsnOf.get(data) === state.lsns[i] ? data : undefined;
}

// Every stored document has exactly one live entry, so the rest of the log is superseded.
// Compacting when it is at least half superseded keeps the cost per write constant.
function compactIfMostlySuperseded(documents, state) {
  const entries = state.lsns.length;
  if (entries < COMPACT_MIN_ENTRIES || entries < 2 * documents._data.size) return;
  let kept = 0;
  for (let i = 0; i < entries; i += 1) {
    if (!liveVersion(documents, state, i)) continue;
    state.lsns[kept] = state.lsns[i];
    state.rids[kept] = state.rids[i];
    state.times[kept] = state.times[i];
    kept += 1;
  }
  state.lsns.length = kept;
  state.rids.length = kept;
  state.times.length = kept;
}

/** Index of the first element of the sorted `values` above `value` (or at least `value`). */
function bisect(values, value, inclusive) {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (inclusive ? values[mid] < value : values[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Where a read starts: the LSN it has seen up to, from If-None-Match or If-Modified-Since. */
function startPosition(state, headers) {
  const seen = headers['if-none-match'];
  if (seen === '*') return state.lsn;
  if (seen) {
    const lsn = /^(?:W\/)?"?(\d+)"?$/.exec(String(seen).trim());
    if (!lsn) throw badRequest(`If-None-Match ${seen} is not a change feed continuation`);
    return Number(lsn[1]);
  }
  const since = headers['if-modified-since'];
  if (since) {
    const ms = Date.parse(since);
    if (Number.isNaN(ms)) throw badRequest(`If-Modified-Since ${since} is not a date`);
    const first = bisect(state.times, ms, true);
    return first > 0 ? state.lsns[first - 1] : 0;
  }
  return 0;
}

function badRequest(message) {
  return Object.assign(new Error(message), { statusCode: 400 });
}

/** The SDK's own hashing, so a document's effective partition key is the one the SDK routes by. */
let hashPartitionKey;
function effectivePartitionKey(state, definition, data) {
  let epk = state.epkOf.get(data);
  if (epk === undefined) {
    if (!hashPartitionKey) {
      const sdk = path.dirname(require.resolve('@azure/cosmos/package.json'));
      ({ hashPartitionKey } = require(path.join(sdk, 'dist/commonjs/utils/hashing/hash.js')));
    }
    epk = hashPartitionKey(partitionKeyValues(definition, data), definition);
    state.epkOf.set(data, epk);
  }
  return epk;
}

function partitionKeyValues(definition, data) {
  return definition.paths.map((keyPath) =>
    keyPath
      .slice(1)
      .split('/')
      .reduce((value, key) => (value == null ? undefined : value[key]), data),
  );
}

/** A predicate for the documents a read asks for: one partition key, or an EPK range. */
function documentFilter(collection, state, headers) {
  const definition = collection.read().partitionKey ?? { paths: ['/id'] };
  const key = headers['x-ms-documentdb-partitionkey'];
  if (key) {
    let parsed;
    try {
      parsed = JSON.parse(key);
    } catch {
      throw badRequest(`x-ms-documentdb-partitionkey ${key} is not JSON`);
    }
    const wanted = Array.isArray(parsed) ? parsed : [parsed];
    // `{}` is how the SDK writes "no value" for a component of the key.
    return (data) =>
      partitionKeyValues(definition, data).every((value, i) =>
        i >= wanted.length
          ? true
          : wanted[i] !== null && typeof wanted[i] === 'object'
            ? value === undefined
            : value === wanted[i],
      );
  }
  let { min, max } = FULL_RANGE;
  const rangeId = headers['x-ms-documentdb-partitionkeyrangeid'];
  if (rangeId !== undefined) {
    const range = [...collection.partitionKeyRanges._data.values()]
      .map((item) => item.read())
      .find((candidate) => String(candidate.id) === String(rangeId));
    if (!range) throw Object.assign(new Error('partition key range is gone'), { statusCode: 410 });
    min = range.minInclusive;
    max = range.maxExclusive;
  }
  const startEpk = headers['x-ms-start-epk'];
  const endEpk = headers['x-ms-end-epk'];
  if (startEpk !== undefined && startEpk > min) min = startEpk;
  if (endEpk !== undefined && endEpk !== '' && endEpk < max) max = endEpk;
  if (min <= FULL_RANGE.min && max >= FULL_RANGE.max) return undefined;
  return (data) => {
    const epk = effectivePartitionKey(state, definition, data);
    return epk >= min && epk < max;
  };
}

function pageSize(headers) {
  const asked = Number.parseInt(headers['x-ms-max-item-count'], 10);
  if (asked === -1) return Infinity;
  return asked > 0 ? asked : DEFAULT_PAGE_SIZE;
}

/** One change feed read: a page of latest versions after the position, or 304. */
function readChanges(collection, req, res) {
  const { documents } = collection;
  const state = stateOf(documents);
  const position = startPosition(state, req.headers);
  const matches = documentFilter(collection, state, req.headers);
  const size = pageSize(req.headers);
  const page = [];
  let next = state.lsn;
  for (let i = bisect(state.lsns, position, false); i < state.lsns.length; i += 1) {
    const lsn = state.lsns[i];
    // A full page ends with its last LSN whole: a batch's documents come together.
    if (page.length >= size && lsn !== page[page.length - 1]._lsn) {
      next = page[page.length - 1]._lsn;
      break;
    }
    const data = liveVersion(documents, state, i);
    if (data && (!matches || matches(data))) page.push({ ...data, _lsn: lsn });
  }
  // Nothing new: the position still moves to now, past superseded entries it walked over.
  res.setHeader('etag', `"${Math.max(next, position)}"`);
  if (page.length === 0) {
    res.statusCode = 304;
    return {};
  }
  res.setHeader('x-ms-item-count', String(page.length));
  return { _rid: collection.read()._rid, Documents: page, _count: page.length };
}

/** Must run before `@vercel/cosmosdb-server` is loaded: its router keeps the handler it sees. */
function useChangeFeed() {
  const Documents = require('@vercel/cosmosdb-server/lib/account/documents').default;
  const set = Documents.prototype._set;
  // Every write of a document (create, replace, upsert, patch, batch, bulk) stores it here.
  Documents.prototype._set = function setAndRecord(data) {
    const stored = set.call(this, data);
    record(this, stored);
    return stored;
  };
  const readDocuments = require('@vercel/cosmosdb-server/lib/handler/read-documents');
  const readFeed = readDocuments.default;
  readDocuments.default = (account, req, res, params) => {
    const mode = req.headers['a-im'];
    if (!mode) return readFeed(account, req, res, params);
    // The server's request handler rewrites any answer to a read with A-IM (304, etag 1).
    delete req.headers['a-im'];
    if (String(mode).toLowerCase() !== 'incremental feed') {
      res.statusCode = 400;
      return { code: 'BadRequest', message: `change feed mode ${mode} is not supported here` };
    }
    const collection = account.database(params.dbId).collection(params.collId);
    if (!collection.read()) {
      res.statusCode = 404;
      return { code: 'NotFound', message: 'Resource Not Found' };
    }
    try {
      return readChanges(collection, req, res);
    } catch (error) {
      if (!error.statusCode) throw error;
      res.statusCode = error.statusCode;
      if (error.statusCode === 410) res.setHeader('x-ms-substatus', '1002');
      return { code: error.statusCode === 410 ? 'Gone' : 'BadRequest', message: error.message };
    }
  };
}

module.exports = { useChangeFeed, asOneWrite };
